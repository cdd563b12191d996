package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.repository.StreamedPartial;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.spool.PushResult;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.wal.SegmentFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the WAL receiver stores (streamed partials, whole segments from memory) and how a fetch serves them. */
class StreamedPartialFetchTest {
    private static final long SYSTEM = 7_312_345_678_901_234_567L;
    private static final SegmentFileName SEGMENT = SegmentFileName.parse("000000010000000000000003");

    @TempDir
    Path pgWal;
    @TempDir
    Path restore;

    private final InMemoryStorage storage = new InMemoryStorage();
    private final Codec codec = new DeflateTestCodec();
    private final WalArchive archive = new WalArchive(storage, codec, Codecs.of(List.of(codec)), "walstash test",
            Clock.systemUTC());

    private byte[] segmentBytes() throws IOException {
        return Files.readAllBytes(WalSegmentFiles.segment(pgWal, SEGMENT.fileName(), SYSTEM, 1));
    }

    @Test
    void aSegmentOnlyStreamedIsFetchedFromItsLongestPartialZeroPadded() throws IOException {
        byte[] whole = segmentBytes();
        archive.storePartial(SEGMENT, whole, 100_000);
        String longest = archive.storePartial(SEGMENT, whole, 300_000);
        archive.storePartial(SEGMENT, whole, 200_000); // stored out of order: the length decides, not the time

        Path destination = restore.resolve("RECOVERYXLOG");
        FetchResult fetched = archive.fetch(SEGMENT.fileName(), destination);

        assertThat(fetched).isEqualTo(new FetchResult.Fetched(longest, 300_000, true)); // the bytes stored, then the zeros
        byte[] placed = Files.readAllBytes(destination);
        assertThat(placed).hasSize(whole.length);
        assertThat(Arrays.copyOf(placed, 300_000)).isEqualTo(Arrays.copyOf(whole, 300_000));
        assertThat(Arrays.copyOfRange(placed, 300_000, placed.length)).containsOnly(0);
        // partials are no archived WAL: the WAL index (verify, retention, status) does not see them
        assertThat(WalIndex.list(storage).entries()).isEmpty();
        assertThat(archive.fetch(SEGMENT.next(io.walstash.core.wal.WalSegmentSize.ofBytes(whole.length)).fileName(),
                restore.resolve("next"))).isInstanceOf(FetchResult.NotFound.class);
    }

    @Test
    void aWholeSegmentStoredFromMemoryIsWhatWalPushStoresAndReplacesThePartials() throws IOException {
        byte[] whole = segmentBytes();
        archive.storePartial(SEGMENT, whole, 100_000);

        PushResult streamed = archive.push(SEGMENT.fileName(), whole, whole.length);
        archive.deletePartials(SEGMENT, 0);

        assertThat(streamed).isInstanceOf(PushResult.Archived.class);
        assertThat(archive.push(pgWal.resolve(SEGMENT.fileName()))).isInstanceOf(PushResult.AlreadyArchived.class);
        assertThat(StreamedPartial.of(storage, SEGMENT)).isEmpty();
        Path destination = restore.resolve("RECOVERYXLOG");
        assertThat(archive.fetch(SEGMENT.fileName(), destination)).isInstanceOf(FetchResult.Fetched.class);
        assertThat(Files.readAllBytes(destination)).isEqualTo(whole);
    }

    @Test
    void aWholeSegmentWinsOverALeftoverPartial() throws IOException {
        byte[] whole = segmentBytes();
        archive.storePartial(SEGMENT, whole, 100_000); // a receiver killed before deleting it
        archive.push(pgWal.resolve(SEGMENT.fileName()));

        Path destination = restore.resolve("RECOVERYXLOG");
        archive.fetch(SEGMENT.fileName(), destination);

        assertThat(Files.readAllBytes(destination)).isEqualTo(whole);
    }

    @Test
    void aCorruptPartialIsRefusedAndNothingIsPlaced() throws IOException {
        byte[] whole = segmentBytes();
        String key = archive.storePartial(SEGMENT, whole, 100_000);
        byte[] stored = storage.bytes(key);
        stored[stored.length - 3] ^= 0x11;
        storage.delete(key);
        storage.createIfAbsent(key, new java.io.ByteArrayInputStream(stored));

        Path destination = restore.resolve("RECOVERYXLOG");
        assertThatThrownBy(() -> archive.fetch(SEGMENT.fileName(), destination)).isInstanceOf(IOException.class)
                .hasMessageContaining(key);
        assertThat(destination).doesNotExist();
    }

    @Test
    void deletingOlderPartialsKeepsTheNewest() throws IOException {
        byte[] whole = segmentBytes();
        archive.storePartial(SEGMENT, whole, 100_000);
        String newest = archive.storePartial(SEGMENT, whole, 200_000);

        archive.deletePartials(SEGMENT, 200_000);

        assertThat(StreamedPartial.of(storage, SEGMENT)).extracting(StreamedPartial::key).containsExactly(newest);
    }
}
