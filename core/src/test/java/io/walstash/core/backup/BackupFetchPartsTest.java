package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.io.EarlyWriteback;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.ScriptedFaults;
import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restoring files stored in parts: each part fetched with a range read, in parallel, checked on its own. */
class BackupFetchPartsTest {
    private static final int PART_SIZE = 64 * 1024;
    private static final String NAME = "base_000000010000000000000002";
    private static final String BIG = "base/1/16384";

    @TempDir
    Path destination;

    private final InMemoryStorage storage = new InMemoryStorage();
    private final Codec codec = new DeflateTestCodec();
    private final Codecs codecs = Codecs.of(List.of(codec));
    private final Random random = new Random(42);

    @Test
    void aFileLargerThanThePartSizeIsRestoredPartByPartInParallel() throws IOException {
        byte[] big = pageLike(3 * PART_SIZE + 12_345);
        byte[] small = pageLike(1000);
        BackupManifest backup = backup(List.of(stored(BIG, big), stored("base/1/16385", small),
                stored(BackupFetch.PG_CONTROL, pageLike(8192))));
        BackupManifest.FileEntry bigEntry = backup.files().get(0);
        assertThat(bigEntry.parts()).hasSize(4);
        assertThat(bigEntry.parts().stream().mapToLong(BackupManifest.Part::plainSize))
                .containsExactly((long) PART_SIZE, (long) PART_SIZE, (long) PART_SIZE, 12_345L);
        assertThat(backup.files().get(1).parts()).isNull();
        assertThat(backup.formatVersion()).isEqualTo(BackupManifest.FORMAT_STORED_SHA256);

        // Each range read of the big object waits until a second one is open at the same time:
        // a restore that fetched the parts one after the other would fail here.
        Storage rendezvous = new RangesMeet(storage, bigEntry.objectKey(), 2);
        fetch(rendezvous, backup, 4);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(big);
        assertThat(Files.readAllBytes(destination.resolve("base/1/16385"))).isEqualTo(small);
        assertThat(destination.resolve(BackupFetch.PG_CONTROL)).exists();
    }

    @Test
    void downloadsCutShortOrRefusedAreRetriedByTheStorageLayerAndTheRestoreIsWhole() throws IOException {
        // backup-fetch had no retry of its own: the one retry layer under every command now covers it
        byte[] big = pageLike(3 * PART_SIZE + 77);
        BackupManifest backup = backup(List.of(stored(BIG, big), stored(BackupFetch.PG_CONTROL, pageLike(8192))));
        ScriptedFaults faults = new ScriptedFaults(storage, ScriptedFaults.Kind.READ, List.of(
                ScriptedFaults.Outcome.MIDWAY, ScriptedFaults.Outcome.TRANSIENT, ScriptedFaults.Outcome.MIDWAY));
        Storage retrying = new RetryingStorage(faults, new RetryPolicy(3, Duration.ZERO, Duration.ZERO,
                Duration.ofSeconds(20)), RetryPolicy.Timing.SYSTEM, RetryPolicy.Listener.QUIET);

        fetch(retrying, backup, 1);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(big);
        assertThat(faults.calls.get()).isGreaterThan(3);
    }

    @Test
    void onePartThatFailsItsChecksumFailsTheRestoreNamingThePartAndLeavesNothing() throws IOException {
        byte[] big = pageLike(2 * PART_SIZE + 10);
        BackupManifest backup = backup(List.of(stored(BIG, big), stored(BackupFetch.PG_CONTROL, pageLike(8192))));
        BackupManifest.FileEntry entry = backup.files().get(0);
        byte[] object = storage.bytes(entry.objectKey());
        long secondPartEnd = entry.parts().get(0).storedSize() + entry.parts().get(1).storedSize();
        object[(int) secondPartEnd - 8] ^= 0x55;
        storage.corrupt(entry.objectKey(), object);

        assertThatThrownBy(() -> fetch(storage, backup, 2))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(entry.objectKey())
                .hasMessageContaining("(part 1)");
        try (Stream<Path> left = Files.list(destination)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void objectsDamagedOnTheWayAreDownloadedOnceMoreAndTheRestoreIsExact() throws IOException {
        byte[] big = pageLike(3 * PART_SIZE + 500);
        byte[] small = pageLike(5000);
        BackupManifest backup = backup(List.of(stored(BIG, big), stored("base/1/16385", small),
                stored(BackupFetch.PG_CONTROL, pageLike(8192))));
        String bigKey = backup.files().get(0).objectKey();
        String smallKey = backup.files().get(1).objectKey();
        // the first read of the small object, and of the big object's part 1, each have one byte flipped
        long part1 = backup.files().get(0).parts().get(0).storedSize();
        FlippedInFlight flipped = new FlippedInFlight(storage, Map.of(smallKey, 0L, bigKey, part1));

        fetch(flipped, backup, 3);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(big);
        assertThat(Files.readAllBytes(destination.resolve("base/1/16385"))).isEqualTo(small);
        assertThat(flipped.flips).as("both damaged reads happened").hasValue(2);
    }

    @Test
    void aDeltaDamagedOnTheWayIsDownloadedOnceMoreWithItsBase() throws IOException {
        DeltaBackup delta = deltaOverFull(pageLike(2 * PART_SIZE), 3);
        FlippedInFlight flipped = new FlippedInFlight(storage, Map.of(delta.objectKey(), 0L));

        fetch(flipped, delta.manifest(), 2);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(delta.changed());
        assertThat(flipped.flips).hasValue(1);
    }

    @Test
    void anObjectInPartsReadsWholeThroughOpen() throws IOException {
        byte[] big = pageLike(5 * PART_SIZE);
        BackupManifest.FileEntry entry = stored(BIG, big);
        assertThat(entry.parts()).hasSize(5);
        try (InputStream in = StoredObjects.open(storage, codecs, entry)) {
            assertThat(in.readAllBytes()).isEqualTo(big);
        }
    }

    @Test
    void aDeltaAppliesOnTopOfABaseStoredInParts() throws IOException {
        DeltaBackup delta = deltaOverFull(pageLike(4 * PART_SIZE), 17);

        fetch(storage, delta.manifest(), 3);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(delta.changed());
    }

    @Test
    void aFileLargeEnoughToBeWrittenBackWhileTheRestoreGoesOnIsRestoredExactly() throws IOException {
        // one stream over EarlyWriteback.EVERY bytes: the file is synced from another descriptor while it is written
        byte[] large = pageLike((int) EarlyWriteback.EVERY + 3 * 8192 + 17);
        String key = RepositoryLayout.backupFolder(NAME) + "files/" + BIG + "." + codec.fileExtension();
        StoredObjects.Stored whole = StoredObjects.put(storage, key, () -> new ByteArrayInputStream(large), codec);
        assertThat(whole.parts()).isNull();
        BackupManifest backup = backup(List.of(new BackupManifest.FileEntry(BIG, large.length, 0600, 0, false, key,
                whole.sha256(), whole.hashed(), whole.plainSize(), whole.storedSize(), null, null),
                stored(BackupFetch.PG_CONTROL, pageLike(8192))));

        fetch(storage, backup, 2);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(large);
    }

    /**
     * A chain that crosses manifest format 4: a full written before it (plain checksums, format 1),
     * a delta after it (stored checksums) whose unchanged files point at the full's objects with
     * their plain checksums. Each object is checked as it was written, and the restore is exact.
     */
    @Test
    void aDeltaWithStoredChecksumsOverAFullWithPlainOnesRestoresExactly() throws IOException {
        byte[] big = pageLike(3 * 8192);
        byte[] unchanged = pageLike(5000);
        BackupManifest full = backup(List.of(storedPlain(BIG, big), storedPlain("base/1/16385", unchanged),
                storedPlain(BackupFetch.PG_CONTROL, pageLike(8192))));
        assertThat(full.formatVersion()).isEqualTo(BackupManifest.FORMAT_VERSION_WITHOUT_PARTS);
        storage.createIfAbsent(RepositoryLayout.manifestKey(NAME), new ByteArrayInputStream(full.toJson()));
        byte[] changed = big.clone();
        System.arraycopy(pageLike(8192), 0, changed, 8192, 8192);
        String deltaName = "base_000000010000000000000004_D_000000010000000000000002";
        String deltaKey = RepositoryLayout.backupFolder(deltaName) + "files/" + BIG + ".delta." + codec.fileExtension();
        StoredObjects.Stored delta = StoredObjects.put(storage, deltaKey,
                () -> new ByteArrayInputStream(DeltaFile.encode(changed, 8192, changed.length, new int[] {1})), codec);
        List<BackupManifest.FileEntry> files = List.of(
                new BackupManifest.FileEntry(BIG, changed.length, 0600, 0, true, deltaKey, delta.sha256(),
                        delta.hashed(), delta.plainSize(), delta.storedSize(), null, null),
                full.files().get(1).withFile("base/1/16385", unchanged.length, 0600, 0),
                full.files().get(2).withFile(BackupFetch.PG_CONTROL, 8192, 0600, 0));
        BackupManifest after = manifest(deltaName, NAME, files);
        assertThat(after.formatVersion()).isEqualTo(BackupManifest.FORMAT_STORED_SHA256);
        assertThat(after.files()).extracting(BackupManifest.FileEntry::hashed)
                .containsExactly(BackupManifest.HashedBytes.STORED, BackupManifest.HashedBytes.PLAIN,
                        BackupManifest.HashedBytes.PLAIN);
        assertThat(BackupManifest.parse(after.toStoredJson())).isEqualTo(after);

        fetch(storage, after, 2);

        assertThat(Files.readAllBytes(destination.resolve(BIG))).isEqualTo(changed);
        assertThat(Files.readAllBytes(destination.resolve("base/1/16385"))).isEqualTo(unchanged);
    }

    /** {@code bytes} stored as walstash wrote objects before manifest format 4: one stream, SHA-256 of the plain bytes. */
    private BackupManifest.FileEntry storedPlain(String path, byte[] bytes) throws IOException {
        String key = RepositoryLayout.backupFolder(NAME) + "files/" + path + "." + codec.fileExtension();
        java.io.ByteArrayOutputStream stored = new java.io.ByteArrayOutputStream();
        try (java.io.OutputStream out = codec.compress(stored)) {
            out.write(bytes);
        }
        storage.createIfAbsent(key, new ByteArrayInputStream(stored.toByteArray()));
        return new BackupManifest.FileEntry(path, bytes.length, 0600, 0, false, key,
                java.util.HexFormat.of().formatHex(io.walstash.core.io.Digests.sha256().digest(bytes)),
                BackupManifest.HashedBytes.PLAIN, bytes.length, stored.size(), null, null);
    }

    private void fetch(Storage from, BackupManifest backup, int concurrency) throws IOException {
        new BackupFetch(from, codecs, new PrintWriter(new StringWriter()))
                .fetch(backup, new BackupFetch.Options(destination, false, Map.of(), concurrency));
    }

    private BackupManifest.FileEntry stored(String path, byte[] bytes) throws IOException {
        String key = RepositoryLayout.backupFolder(NAME) + "files/" + path + "." + codec.fileExtension();
        StoredObjects.Stored stored = StoredObjects.put(storage, key, () -> new ByteArrayInputStream(bytes), codec, PART_SIZE);
        return new BackupManifest.FileEntry(path, bytes.length, 0600, 0, false, key, stored.sha256(),
                stored.hashed(), stored.plainSize(), stored.storedSize(), null, stored.parts());
    }

    /**
     * A full backup of BIG as {@code big} (stored in parts, with its manifest), and a delta backup over
     * it in which page {@code block} of BIG changed.
     */
    private DeltaBackup deltaOverFull(byte[] big, int block) throws IOException {
        BackupManifest full = backup(List.of(stored(BIG, big), stored(BackupFetch.PG_CONTROL, pageLike(8192))));
        byte[] changed = big.clone();
        System.arraycopy(pageLike(8192), 0, changed, block * 8192, 8192);
        storage.createIfAbsent(RepositoryLayout.manifestKey(NAME), new ByteArrayInputStream(full.toJson()));
        String deltaName = "base_000000010000000000000004_D_000000010000000000000002";
        String deltaKey = RepositoryLayout.backupFolder(deltaName) + "files/" + BIG + ".delta." + codec.fileExtension();
        StoredObjects.Stored delta = StoredObjects.put(storage, deltaKey,
                () -> new ByteArrayInputStream(DeltaFile.encode(changed, 8192, changed.length, new int[] {block})), codec);
        List<BackupManifest.FileEntry> files = new ArrayList<>();
        files.add(new BackupManifest.FileEntry(BIG, changed.length, 0600, 0, true, deltaKey, delta.sha256(),
                delta.hashed(), delta.plainSize(), delta.storedSize(), null, null));
        files.add(full.files().get(1).withFile(BackupFetch.PG_CONTROL, 8192, 0600, 0));
        return new DeltaBackup(manifest(deltaName, NAME, files), deltaKey, changed);
    }

    /** The delta backup's manifest, its object for BIG, and BIG's content once restored. */
    private record DeltaBackup(BackupManifest manifest, String objectKey, byte[] changed) {
    }

    private BackupManifest backup(List<BackupManifest.FileEntry> files) {
        return manifest(NAME, null, files);
    }

    private static BackupManifest manifest(String name, String base, List<BackupManifest.FileEntry> files) {
        return new BackupManifest(BackupManifest.formatFor(files), name, "0/2000028", "0/2000100", 1,
                "000000010000000000000002", "000000010000000000000002", "7301234567890123456", 150004,
                "2026-12-04T00:00:00Z", "2026-12-04T00:01:00Z", base, "deflate-test", 8192, true, 0, 0, false,
                "START WAL LOCATION: 0/2000028\n", null, null,
                List.of(new BackupManifest.Directory("base", 0700), new BackupManifest.Directory("base/1", 0700),
                        new BackupManifest.Directory("global", 0700)), files, "walstash test");
    }

    private byte[] pageLike(int length) {
        return PageLike.bytes(random, length);
    }

    /**
     * Flips one byte, half the read's length past the given offset of the stored object, in the first
     * read of each given key that covers that offset (a whole read, or the part's range read): a
     * transfer fault, not damage at rest.
     */
    private static final class FlippedInFlight extends ForwardingStorage {
        private final Map<String, Long> once;
        private final java.util.Set<String> done = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicInteger flips = new java.util.concurrent.atomic.AtomicInteger();

        FlippedInFlight(Storage delegate, Map<String, Long> once) {
            super(delegate);
            this.once = once;
        }

        @Override
        public InputStream read(String key) throws IOException {
            return maybeFlipped(key, 0, super.read(key));
        }

        @Override
        public InputStream readRange(String key, long offset, long length) throws IOException {
            return maybeFlipped(key, offset, super.readRange(key, offset, length));
        }

        private InputStream maybeFlipped(String key, long start, InputStream in) throws IOException {
            Long at = once.get(key);
            if (at == null || at < start || done.contains(key)) {
                return in;
            }
            byte[] bytes = in.readAllBytes();
            in.close();
            int index = (int) (at - start);
            if (index >= bytes.length || !done.add(key)) {
                return new ByteArrayInputStream(bytes);
            }
            bytes[Math.min(bytes.length - 1, index + bytes.length / 2)] ^= 0x20;
            flips.incrementAndGet();
            return new ByteArrayInputStream(bytes);
        }
    }

    /** Range reads of {@code key} block until {@code parties} of them are open at once (bounded). */
    private static final class RangesMeet extends ForwardingStorage {
        private final String key;
        private final CountDownLatch meeting;

        RangesMeet(Storage delegate, String key, int parties) {
            super(delegate);
            this.key = key;
            this.meeting = new CountDownLatch(parties);
        }

        @Override
        public InputStream readRange(String rangeKey, long offset, long length) throws IOException {
            if (rangeKey.equals(key)) {
                meeting.countDown();
                try {
                    if (!meeting.await(20, TimeUnit.SECONDS)) {
                        throw new IOException("no second range read of " + key + " while one was open: parts are not"
                                + " fetched in parallel");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }
            return super.readRange(rangeKey, offset, length);
        }
    }
}
