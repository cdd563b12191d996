package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.RawTestCodec;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.crypto.EncryptedStorage;
import io.walstash.core.crypto.EncryptionSettings;
import io.walstash.core.crypto.MasterKey;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.spool.PushResult;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.wal.SegmentFileName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What walstash keeps on local disk with encryption on: spooled and prefetched files sealed (no
 * clear WAL), damage to them detected, and the WAL still archived and fetched intact. The codec
 * stores bytes as they are, so that without a key the WAL's own bytes are visible on disk (the control).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalFilesSealedTest {
    private static final long SYSTEM = 7_312_345_678_901_234_567L;
    private static final String MARKER = "walstash local-file marker 5d1c9e";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path source;
    @TempDir
    Path pgWal;
    @TempDir
    Path spoolDir;

    private final ScriptedStorage storage = new ScriptedStorage();
    private final Codec codec = new RawTestCodec();
    private final MasterKey master = MasterKey.generate();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private WalService service;

    @AfterEach
    void close() throws IOException {
        if (service != null) {
            service.close();
        }
    }

    /** A daemon's service, configured as a user would: spool, prefetch, and the master key when {@code keyed}. */
    private WalService service(boolean keyed) {
        Map<String, String> settings = new HashMap<>(Map.of(CoreSettings.SPOOL.name(), spoolDir.toString(),
                CoreSettings.DOWNLOAD_CONCURRENCY.name(), "3", CoreSettings.RETRIES.name(), "0"));
        Storage bucket = storage;
        if (keyed) {
            settings.put(EncryptionSettings.KEY.name(), master.toBase64());
            bucket = EncryptedStorage.over(storage, Optional.of(master), Clock.systemUTC());
        }
        WalArchive archive = new WalArchive(bucket, codec, Codecs.of(List.of(codec)), "walstash test", Clock.systemUTC());
        service = WalService.over(archive, WalService.Mode.DAEMON, Settings.of(settings), Map.of(), warnings::add);
        return service;
    }

    private static String name(int n) {
        return String.format("0000000100000000%08X", n);
    }

    /** Segment {@code n} in the source directory, a marker string in its body. */
    private Path segment(int n) throws IOException {
        Path file = WalSegmentFiles.segment(source, name(n), SYSTEM, n);
        byte[] bytes = Files.readAllBytes(file);
        byte[] marker = MARKER.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(marker, 0, bytes, 4096, marker.length);
        Files.write(file, bytes);
        return file;
    }

    private Path destination() {
        return pgWal.resolve("RECOVERYXLOG");
    }

    /** The prefetched file of segment {@code n}: sealed as stored with a key, decoded without one. */
    private Path prefetched(int n) throws IOException {
        return PrefetchDirectory.beside(destination(), storage.location(), Clock.systemUTC())
                .find(SegmentFileName.parse(name(n))).orElseThrow().file();
    }

    /** Whether {@code file} shows segment {@code n} in clear: its page header or the marker. */
    private static boolean showsClearWal(Path file, Path segment) throws IOException {
        String held = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        String pageHeader = new String(Arrays.copyOf(Files.readAllBytes(segment), 40), StandardCharsets.ISO_8859_1);
        boolean marker = held.contains(MARKER);
        assertThat(held.contains(pageHeader)).as("page header and marker are seen together in " + file).isEqualTo(marker);
        return marker;
    }

    private static boolean sealed(Path file) throws IOException {
        byte[] head = Arrays.copyOf(Files.readAllBytes(file), 8);
        return new String(head, StandardCharsets.US_ASCII).equals("WALSTENC");
    }

    private void fetchAndCompare(int n, boolean fromPrefetch) throws Exception {
        FetchResult result = service.fetch(name(n), destination());
        assertThat(result).isInstanceOf(FetchResult.Fetched.class);
        assertThat(((FetchResult.Fetched) result).prefetched()).as("segment " + n + " from the prefetch directory")
                .isEqualTo(fromPrefetch);
        assertThat(Files.mismatch(destination(), source.resolve(name(n)))).as("bytes of " + n).isEqualTo(-1);
        assertThat(service.awaitPrefetch(WAIT)).isTrue();
    }

    private static void flipByte(Path file, long position) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int) position] ^= 0x01;
        Files.write(file, bytes);
    }

    @ParameterizedTest(name = "keyed={0}")
    @ValueSource(booleans = {true, false})
    void spooledAndPrefetchedFilesHoldNoClearWalWithAKeyAndTheWalStillArrives(boolean keyed) throws Exception {
        WalService wal = service(keyed);
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        PushResult spooled = wal.push(segment(1));
        assertThat(spooled).isInstanceOf(PushResult.Spooled.class);
        Path spooledFile = ((PushResult.Spooled) spooled).spoolPath();
        assertThat(showsClearWal(spooledFile, source.resolve(name(1)))).isEqualTo(!keyed);
        assertThat(sealed(spooledFile)).isEqualTo(keyed);

        storage.down = null;
        for (int n = 2; n <= 4; n++) {
            assertThat(wal.push(segment(n))).isInstanceOf(PushResult.Archived.class);
        }
        assertThat(SpoolBacklog.read(spoolDir).count()).as("drained by the next push").isZero();

        fetchAndCompare(1, false); // the drained, once sealed, segment arrived intact
        for (int n = 2; n <= 4; n++) {
            assertThat(showsClearWal(prefetched(n), source.resolve(name(n)))).as("prefetched " + n).isEqualTo(!keyed);
            assertThat(sealed(prefetched(n))).isEqualTo(keyed);
        }
        fetchAndCompare(2, true);
        fetchAndCompare(3, true);
        assertThat(warnings).isEmpty();
    }

    @Test
    void aFlippedTruncatedOrSwappedPrefetchedFileIsDiscardedAndTheSegmentFetchedFromStorage() throws Exception {
        WalService wal = service(true);
        for (int n = 1; n <= 4; n++) {
            wal.push(segment(n));
        }
        fetchAndCompare(1, false);
        byte[] third = Files.readAllBytes(prefetched(3));
        flipByte(prefetched(2), Files.size(prefetched(2)) / 2);
        Files.write(prefetched(3), Arrays.copyOf(third, third.length - 1000));
        Files.write(prefetched(4), third); // segment 3's sealed file under 4's name

        fetchAndCompare(2, false);
        fetchAndCompare(3, false);
        fetchAndCompare(4, false);

        assertThat(warnings).hasSize(3).allSatisfy(w -> assertThat(w).startsWith("walstash: warning: prefetched file")
                .contains("fetching").contains("from storage"));
        assertThat(warnings.get(0)).contains(name(2));
    }

    @Test
    void aDamagedSpooledFileIsKeptAndNotUploadedWhileLaterPushesGoOn() throws Exception {
        WalService wal = service(true);
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        wal.push(segment(1));
        wal.push(segment(2));
        Path first = spoolDir.resolve(name(1));
        Path second = spoolDir.resolve(name(2));
        byte[] secondSealed = Files.readAllBytes(second);
        flipByte(first, Files.size(first) / 2);
        Files.write(second, Arrays.copyOf(secondSealed, secondSealed.length - 1000));
        storage.down = null;
        warnings.clear(); // the second push's: the spool could not be drained during the outage

        assertThat(wal.push(segment(3))).isInstanceOf(PushResult.Archived.class);

        String walKey1 = RepositoryLayout.walKey(name(1), codec);
        assertThat(storage.memory.keys()).doesNotContain(walKey1, RepositoryLayout.walKey(name(2), codec));
        assertThat(SpoolBacklog.read(spoolDir).files()).extracting(SpoolBacklog.Entry::name).containsExactly(name(1), name(2));
        assertThat(warnings).singleElement().asString().contains("not drained, 2 file(s) waiting")
                .contains("spooled " + first).contains("does not decode").doesNotContain("\n");

        // the operator restores the flipped byte: it drains; the truncated one is refused in turn
        flipByte(first, Files.size(first) / 2);
        warnings.clear();
        assertThat(wal.drainSpool().drained()).containsExactly(name(1));
        assertThat(storage.memory.keys()).contains(walKey1).doesNotContain(RepositoryLayout.walKey(name(2), codec));
        assertThat(warnings).singleElement().asString().contains("spooled " + second);
        fetchAndCompare(1, false);
    }

    @Test
    void spoolingAFileAgainKeepsTheSealedCopyAndAnotherFileOfThatNameIsRefused() throws Exception {
        WalService wal = service(true);
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        Path file = segment(1);
        wal.push(file);
        byte[] sealedOnce = Files.readAllBytes(spoolDir.resolve(name(1)));

        assertThat(wal.push(file)).isInstanceOf(PushResult.Spooled.class);
        assertThat(Files.readAllBytes(spoolDir.resolve(name(1)))).isEqualTo(sealedOnce);

        Path other = Files.createDirectory(source.resolve("other"));
        Path changed = WalSegmentFiles.segment(other, name(1), SYSTEM, 99);
        assertThatThrownBy(() -> wal.push(changed))
                .hasMessageContaining("already holds " + name(1) + " with different content");
    }

}
