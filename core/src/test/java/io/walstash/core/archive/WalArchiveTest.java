package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.walg.WalGEncryption;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.codec.RawTestCodec;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.spool.PushResult;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.WalGLibsodium;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.wal.WalFileName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.FilterOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalArchiveTest {
    private static final long SYSTEM = 7_312_345_678_901_234_567L;
    private static final String SEGMENT = "000000010000000000000003";

    @TempDir
    Path pgWal;
    @TempDir
    Path restore;

    private final InMemoryStorage storage = new InMemoryStorage();
    private final Codec codec = new DeflateTestCodec();
    private final Codec rawCodec = new RawTestCodec();
    private final WalArchive archive = archive(codec);

    private WalArchive archive(Codec writeWith) {
        return new WalArchive(storage, writeWith, Codecs.of(List.of(codec, rawCodec)), "walstash test",
                Clock.fixed(Instant.parse("2026-11-24T00:00:00Z"), ZoneOffset.UTC));
    }

    @Test
    void pushedSegmentComesBackIdentical() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);

        PushResult result = archive.push(segment);

        assertThat(result).isInstanceOf(PushResult.Archived.class);
        PushResult.Archived archived = (PushResult.Archived) result;
        assertThat(archived.key()).isEqualTo("wal/" + SEGMENT + ".dft");
        assertThat(archived.plainBytes()).isEqualTo(WalSegmentFiles.SEGMENT_SIZE);
        assertThat(archived.storedBytes()).isEqualTo(storage.bytes(archived.key()).length);

        Path destination = restore.resolve("RECOVERYXLOG");
        FetchResult fetched = archive.fetch(SEGMENT, destination);
        assertThat(fetched).isEqualTo(new FetchResult.Fetched(archived.key(), WalSegmentFiles.SEGMENT_SIZE, true));
        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(segment));
        assertNoTemporaryFiles();
    }

    @Test
    void firstPushPinsTheRepositoryToTheCluster() throws IOException {
        archive.push(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1));

        RepositoryMarker marker = archive.readMarker().orElseThrow();
        assertThat(marker.systemIdentifier()).isEqualTo(SYSTEM);
        assertThat(marker.walSegmentSize()).isEqualTo(WalSegmentFiles.SEGMENT_SIZE);
        assertThat(marker.postgresMajorVersion()).hasValue(15);
        assertThat(marker.layoutVersion()).isEqualTo(RepositoryMarker.LAYOUT_VERSION);
        assertThat(RepositoryMarker.parse(marker.toBytes())).isEqualTo(marker);
    }

    @Test
    void segmentOfAnotherClusterIsRefusedAndNothingIsStored() throws IOException {
        archive.push(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1));
        Path foreign = WalSegmentFiles.segment(Files.createDirectory(pgWal.resolve("other")), "000000010000000000000004", 42L, 2);

        // a fresh archive instance, as the next archive_command would be
        assertThatThrownBy(() -> archive(codec).push(foreign))
                .isInstanceOf(ForeignRepositoryException.class)
                .hasMessageContaining(Long.toUnsignedString(SYSTEM))
                .hasMessageContaining("comes from system 42");
        assertThat(storage.keys()).noneMatch(k -> k.contains("000000010000000000000004"));
    }

    @Test
    void identicalRePushSucceedsWithoutWriting() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive.push(segment);
        byte[] stored = storage.bytes("wal/" + SEGMENT + ".dft");

        assertThat(archive.push(segment)).isEqualTo(new PushResult.AlreadyArchived("wal/" + SEGMENT + ".dft"));
        assertThat(storage.bytes("wal/" + SEGMENT + ".dft")).isEqualTo(stored);
    }

    @Test
    void identicalRePushWithAnotherCodecIsRecognised() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive(rawCodec).push(segment);

        assertThat(archive.push(segment)).isEqualTo(new PushResult.AlreadyArchived("wal/" + SEGMENT + ".raw"));
        assertThat(storage.keys()).doesNotContain("wal/" + SEGMENT + ".dft");
    }

    @Test
    void rottedBodyUnderAnIntactHeaderDoesNotCountAsArchived() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive(rawCodec).push(segment);
        String key = "wal/" + SEGMENT + ".raw";
        byte[] rotted = storage.bytes(key);
        rotted[ObjectHeader.LENGTH + 4096] ^= 0x10; // the header still records the original length and digest
        storage.corrupt(key, rotted);

        assertThatThrownBy(() -> archive(rawCodec).push(segment))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(key)
                .hasMessageContaining("fails its checksum")
                .hasMessageContaining("never overwritten");
        assertThat(storage.bytes(key)).as("not overwritten").isEqualTo(rotted);
    }

    @Test
    void aFetchRemovesWhatKilledFetchesOfTheSameNameLeftAndNothingOfLiveOnes() throws Exception {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive.push(segment);
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        long gone = ended.pid();
        long alive = ProcessHandle.current().pid();
        Path killed = Files.write(restore.resolve(".RECOVERYXLOG." + gone + ".5f1e.walstash-tmp"), new byte[100]);
        Path running = Files.write(restore.resolve(".RECOVERYXLOG." + alive + ".77aa.walstash-tmp"), new byte[100]);
        Path olderForm = Files.write(restore.resolve(".RECOVERYXLOG.0b3c-44d1.walstash-tmp"), new byte[100]);
        Path otherName = Files.write(restore.resolve("." + SEGMENT + "." + gone + ".9c9c.walstash-tmp"), new byte[100]);

        archive.fetch(SEGMENT, restore.resolve("RECOVERYXLOG"));

        assertThat(killed).as("left by a fetch whose process is gone").doesNotExist();
        assertThat(running).as("a live writer's").exists();
        assertThat(olderForm).as("no process id to tell").exists();
        assertThat(otherName).as("another name's: removed by a fetch of that name").exists();
        assertThat(Files.readAllBytes(restore.resolve("RECOVERYXLOG"))).isEqualTo(Files.readAllBytes(segment));
    }

    @Test
    void headerlessSegmentThatDecodesPastItsSegmentSizeIsCutOff() throws IOException {
        // a decompression bomb under WAL-G's folder: a valid first page saying 1 MiB, then 64 MiB of zeros
        byte[] firstPage = java.util.Arrays.copyOf(
                Files.readAllBytes(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1)), 8192);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(compressed)) {
            out.write(firstPage);
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) {
                out.write(zeros);
            }
        }
        assertThat(compressed.size()).as("a small object").isLessThan(1 << 20);
        storage.createIfAbsent("wal_005/" + SEGMENT + ".dft", new java.io.ByteArrayInputStream(compressed.toByteArray()));
        Path destination = restore.resolve("RECOVERYXLOG");

        assertThatThrownBy(() -> archive.fetch(SEGMENT, destination))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("wal_005/" + SEGMENT + ".dft")
                .hasMessageContaining("decodes to more than " + WalSegmentFiles.SEGMENT_SIZE + " bytes");
        assertThat(destination).doesNotExist();
        assertNoTemporaryFiles();
    }

    @Test
    void headerlessHistoryFileIsHeldToAHistoryFilesSize() throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(compressed)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 17; i++) {
                out.write(zeros);
            }
        }
        storage.createIfAbsent("wal_005/00000002.history.dft", new java.io.ByteArrayInputStream(compressed.toByteArray()));
        Path destination = restore.resolve("RECOVERYHISTORY");

        assertThatThrownBy(() -> archive.fetch("00000002.history", destination))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("decodes to more than " + WalArchive.MAX_HISTORY_FILE + " bytes");
        assertThat(destination).doesNotExist();
    }

    @Test
    void headerClaimingMoreThanASegmentCanHoldIsRefusedBeforeDecoding() throws IOException {
        byte[] header = new ObjectHeader((1L << 30) + 1, new byte[32]).toBytes();
        storage.createIfAbsent("wal/" + SEGMENT + ".raw", new java.io.ByteArrayInputStream(header));

        assertThatThrownBy(() -> archive.fetch(SEGMENT, restore.resolve("RECOVERYXLOG")))
                .isInstanceOf(CorruptObjectException.class).hasMessageContaining("claims " + ((1L << 30) + 1));
    }

    @Test
    void conflictingRePushNeverOverwrites() throws IOException {
        archive.push(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1));
        byte[] stored = storage.bytes("wal/" + SEGMENT + ".dft");
        Path other = WalSegmentFiles.segment(Files.createDirectory(pgWal.resolve("other")), SEGMENT, SYSTEM, 2);

        PushResult result = archive.push(other);

        assertThat(result).isInstanceOf(PushResult.Conflict.class);
        assertThat(((PushResult.Conflict) result).detail()).contains("sha256");
        assertThat(storage.bytes("wal/" + SEGMENT + ".dft")).isEqualTo(stored);
    }

    @Test
    void historyFilesRoundTripWithoutASegmentHeader() throws IOException {
        Path history = pgWal.resolve("00000002.history");
        Files.writeString(history, "1\t0/3000000\tno recovery target specified\n");

        assertThat(archive.push(history)).isInstanceOf(PushResult.Archived.class);
        Path destination = restore.resolve("RECOVERYHISTORY");
        archive.fetch("00000002.history", destination);
        assertThat(Files.readString(destination)).isEqualTo(Files.readString(history));
    }

    @Test
    void malformedHistoryFileIsRefusedBeforeItIsStored() throws IOException {
        Path history = Files.writeString(pgWal.resolve("00000003.history"),
                "1\t0/3000000\tno recovery target specified\n5\t0/2000000\tlater timeline, earlier point\n");

        assertThatThrownBy(() -> archive.push(history)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(history + " is not a valid timeline history file");
        assertThat(storage.keys()).noneMatch(k -> k.contains("history"));
    }

    @Test
    void backupHistoryFileMustMatchItsName() throws IOException {
        String name = "000000010000000000000002.00000028.backup";
        String valid = "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n"
                + "STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)\n"
                + "CHECKPOINT LOCATION: 0/2000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
                + "START TIME: 2026-12-04 11:36:59 UTC\nLABEL: base\nSTART TIMELINE: 1\n";
        Path other = Files.createDirectory(pgWal.resolve("other"));
        for (String bad : List.of(valid.replace("0/2000028 (file", "0/2000030 (file"),
                valid.replace("START TIMELINE: 1", "START TIMELINE: 2"),
                valid.replace("(file 000000010000000000000002)\nSTOP", "(file 000000010000000000000003)\nSTOP"),
                valid.replace("STOP WAL LOCATION: 0/2000100", "STOP WAL LOCATION: 0/1000000"),
                "not a backup history file at all\n")) {
            Path file = Files.writeString(other.resolve(name), bad);
            assertThatThrownBy(() -> archive.push(file)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("is not a valid backup history file");
        }
        assertThat(storage.keys()).noneMatch(k -> k.endsWith(".backup.dft"));

        assertThat(archive.push(Files.writeString(pgWal.resolve(name), valid))).isInstanceOf(PushResult.Archived.class);
    }

    @Test
    void missingFileIsNotFoundAndNothingIsPlaced() throws IOException {
        Path destination = restore.resolve("RECOVERYXLOG");
        assertThat(archive.fetch(SEGMENT, destination)).isEqualTo(new FetchResult.NotFound(SEGMENT));
        assertThat(destination).doesNotExist();
        assertNoTemporaryFiles();
    }

    @Test
    void fetchReplacesAnExistingDestination() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive.push(segment);
        Path destination = restore.resolve("RECOVERYXLOG");
        Files.writeString(destination, "left over from the previous segment");

        archive.fetch(SEGMENT, destination);
        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(segment));
    }

    @Test
    void corruptedPayloadIsDetectedAndNothingIsPlaced() throws IOException {
        archive(rawCodec).push(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1));
        String key = "wal/" + SEGMENT + ".raw";
        byte[] damaged = storage.bytes(key);
        damaged[ObjectHeader.LENGTH + 5000] ^= 0x40;
        storage.corrupt(key, damaged);
        Path destination = restore.resolve("RECOVERYXLOG");

        assertThatThrownBy(() -> archive.fetch(SEGMENT, destination))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(key)
                .hasMessageContaining("fails its checksum");
        assertThat(destination).doesNotExist();
        assertNoTemporaryFiles();
    }

    @Test
    void truncatedObjectIsDetectedAndNothingIsPlaced() throws IOException {
        archive.push(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1));
        String key = "wal/" + SEGMENT + ".dft";
        byte[] whole = storage.bytes(key);
        storage.corrupt(key, java.util.Arrays.copyOf(whole, whole.length / 2));
        Path destination = restore.resolve("RECOVERYXLOG");

        assertThatThrownBy(() -> archive.fetch(SEGMENT, destination)).isInstanceOf(IOException.class);
        assertThat(destination).doesNotExist();
        assertNoTemporaryFiles();
    }

    @Test
    void headerlessObjectsOfWalGAreReadFromItsFolder() throws IOException {
        byte[] plain = "WAL-G wrote this without a header".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(compressed)) {
            out.write(plain);
        }
        storage.createIfAbsent("wal_005/00000002.history.dft", new java.io.ByteArrayInputStream(compressed.toByteArray()));
        Path destination = restore.resolve("RECOVERYHISTORY");

        FetchResult result = archive.fetch("00000002.history", destination);

        assertThat(result).isEqualTo(new FetchResult.Fetched("wal_005/00000002.history.dft", plain.length, false));
        assertThat(Files.readAllBytes(destination)).isEqualTo(plain);
    }

    @Test
    void malformedNamesAreRejectedWithTheName() throws IOException {
        Path notWal = Files.writeString(pgWal.resolve("00000001000000000000000G"), "x");
        assertThatThrownBy(() -> archive.push(notWal))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'00000001000000000000000G'");
        assertThatThrownBy(() -> archive.fetch("../../etc/passwd", restore.resolve("x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'../../etc/passwd'");
        assertThat(storage.keys()).isEmpty();
    }

    @Test
    void fileThatIsNotTheSegmentItIsNamedIsRefused() throws IOException {
        Path renamed = WalSegmentFiles.segment(pgWal, "000000010000000000000007", SEGMENT, SYSTEM, 1, WalSegmentFiles.SEGMENT_SIZE);
        assertThatThrownBy(() -> archive.push(renamed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not hold segment 000000010000000000000007");

        Path truncated = WalSegmentFiles.segment(pgWal, "000000010000000000000008", "000000010000000000000008", SYSTEM, 1, 4096);
        assertThatThrownBy(() -> archive.push(truncated))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4096 bytes");
        assertThat(storage.keys()).isEmpty();
    }

    @Test
    void missingLocalFileFailsNamingIt() {
        Path missing = pgWal.resolve(SEGMENT);
        assertThatThrownBy(() -> archive.push(missing))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(SEGMENT);
    }

    @Test
    void fetchIntoAMissingDirectoryFailsAndLeavesNothing() throws IOException {
        archive.push(WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1));
        Path destination = restore.resolve("no/such/dir/RECOVERYXLOG");
        assertThatThrownBy(() -> archive.fetch(SEGMENT, destination))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("no/such/dir");
    }

    @Test
    void segmentIsReadOnceSoAChangeDuringTheUploadDoesNotReachTheObject() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        byte[] asRead = Files.readAllBytes(segment);
        WalArchive overwriting = new WalArchive(new OverwritingStorage(storage, segment), codec,
                Codecs.of(List.of(codec, rawCodec)), "walstash test", Clock.systemUTC());

        // the upload starts after the file was read; the header and the payload are of the same bytes
        assertThat(overwriting.push(segment)).isInstanceOf(PushResult.Archived.class);

        Path destination = restore.resolve("RECOVERYXLOG");
        assertThat(archive.fetch(SEGMENT, destination)).isInstanceOf(FetchResult.Fetched.class);
        assertThat(Files.readAllBytes(destination)).isEqualTo(asRead);
    }

    @Test
    void aSegmentAboveTheMemoryLimitIsStreamedTwiceAndAChangeFailsThePush() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        WalArchive streaming = new WalArchive(new OverwritingStorage(storage, segment), codec,
                Codecs.of(List.of(codec, rawCodec)), "walstash test", Clock.systemUTC(), WalSegmentFiles.SEGMENT_SIZE - 1);

        assertThatThrownBy(() -> streaming.push(segment))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("changed while it was being archived");
        assertThat(storage.keys()).noneMatch(k -> k.startsWith("wal/"));
    }

    @Test
    void aHeldSegmentIsStoredByteForByteAsAStreamedPushStoresIt() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        InMemoryStorage streamedInto = new InMemoryStorage();
        WalArchive streaming = new WalArchive(streamedInto, codec, Codecs.of(List.of(codec, rawCodec)), "walstash test",
                Clock.fixed(Instant.parse("2026-11-24T00:00:00Z"), ZoneOffset.UTC), WalSegmentFiles.SEGMENT_SIZE - 1);

        PushResult.Archived held = (PushResult.Archived) archive.push(segment);
        PushResult.Archived streamed = (PushResult.Archived) streaming.push(segment);

        assertThat(held.key()).isEqualTo(streamed.key());
        assertThat(held.storedBytes()).isEqualTo(streamed.storedBytes());
        assertThat(storage.bytes(held.key())).isEqualTo(streamedInto.bytes(streamed.key()));
    }

    @Test
    void aFailingCodecFailsThePushAndStoresNoWal() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        // the test codec's name and extension, with a compressor that fails at its first bytes
        Codec failing = new Codec() {
            @Override
            public String name() {
                return codec.name();
            }

            @Override
            public String fileExtension() {
                return codec.fileExtension();
            }

            @Override
            public OutputStream compress(OutputStream out) {
                return new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        throw new IOException("compressor out of memory");
                    }
                };
            }

            @Override
            public InputStream decompress(InputStream in) throws IOException {
                return codec.decompress(in);
            }
        };

        assertThatThrownBy(() -> archive(failing).push(segment))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("compressor out of memory");
        assertThat(storage.keys()).noneMatch(k -> k.startsWith("wal/"));
        // the archive's buffers are intact: the next push of the same segment stores it whole
        assertThat(archive.push(segment)).isInstanceOf(PushResult.Archived.class);
        Path destination = restore.resolve("RECOVERYXLOG");
        archive.fetch(SEGMENT, destination);
        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(segment));
    }

    @Test
    void consecutivePushesReuseOneBufferAndEachObjectHoldsItsOwnSegment() throws IOException {
        Path first = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        Path second = WalSegmentFiles.segment(pgWal, "000000010000000000000004", SYSTEM, 2);
        Path history = Files.writeString(pgWal.resolve("00000002.history"), "1\t0/3000000\tno recovery target specified\n");

        archive.push(first);
        archive.push(history); // small: gets its own array, does not take or displace the segment buffer
        archive.push(second);

        for (Path pushed : List.of(first, second, history)) {
            Path destination = restore.resolve(pushed.getFileName() + ".fetched");
            archive.fetch(String.valueOf(pushed.getFileName()), destination);
            assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(pushed));
        }
    }

    @Test
    void buffersKeepAFewLargeOnesAndHandThemOnlyToFilesThatFit() {
        HeldWalFile.Buffers buffers = new HeldWalFile.Buffers(1, 8 << 20);
        byte[] segment = buffers.take(2 << 20);
        buffers.release(segment);
        assertThat(buffers.take(2 << 20)).isSameAs(segment);
        buffers.release(segment);
        assertThat(buffers.take(100)).isNotSameAs(segment).hasSize(100); // a history file
        buffers.release(new byte[2 << 20]);                              // only one is kept
        assertThat(buffers.kept()).isEqualTo(1);
        assertThat(buffers.take(4 << 20)).hasSize(4 << 20);               // too small to reuse
        buffers.release(new byte[100]);                                   // too small to keep
        assertThat(buffers.take(2 << 20)).isSameAs(segment);
        assertThat(buffers.kept()).isZero();
    }

    /**
     * Inspecting a segment already held in memory makes no copy of it (a 16 MiB text of every
     * segment pushed was built once, for the history files' check); a history file's content is
     * still checked from the bytes in hand.
     */
    @Test
    void inspectingAHeldSegmentAllocatesNoCopyOfIt() throws IOException {
        int size = 16 << 20;
        Path file = WalSegmentFiles.segment(pgWal, "000000010000000000000001", "000000010000000000000001",
                SYSTEM, 7, size, size);
        byte[] bytes = Files.readAllBytes(file);
        WalFileName name = WalFileName.parse("000000010000000000000001");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        LocalWalFile.inspect(file, name, bytes, bytes.length); // classes loaded, digest provider found
        long before = threads.getCurrentThreadAllocatedBytes();
        LocalWalFile inspected = LocalWalFile.inspect(file, name, bytes, bytes.length);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(inspected.header().plainLength()).isEqualTo(size);
        assertThat(allocated).as("bytes allocated inspecting a 16 MiB segment").isLessThan(1 << 20);

        byte[] history = "1\t0/3000000\tno recovery target specified\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(LocalWalFile.inspect(pgWal.resolve("00000002.history"), WalFileName.parse("00000002.history"),
                history, history.length).header().plainLength()).isEqualTo(history.length);
        byte[] malformed = "not a history line\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> LocalWalFile.inspect(pgWal.resolve("00000002.history"),
                WalFileName.parse("00000002.history"), malformed, malformed.length))
                .hasMessageContaining("is not a valid timeline history file");
    }

    /**
     * A fetch reads the configured codec's object straight away, with no listing (one request on S3
     * instead of two); another codec's object, and the end of the archive, are still found by the
     * listing, with the same results as before.
     */
    @Test
    void aFetchOfTheConfiguredCodecsObjectListsNothing() throws IOException {
        Path ours = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive.push(ours);
        String other = "000000010000000000000004";
        Path written = WalSegmentFiles.segment(pgWal, other, SYSTEM, 1);
        archive(rawCodec).push(written);
        CountingStorage counting = new CountingStorage(storage);
        WalArchive fetching = new WalArchive(counting, codec, Codecs.of(List.of(codec, rawCodec)), "walstash test",
                Clock.systemUTC());

        Path destination = restore.resolve("RECOVERYXLOG");
        assertThat(fetching.fetch(SEGMENT, destination))
                .isEqualTo(new FetchResult.Fetched("wal/" + SEGMENT + ".dft", WalSegmentFiles.SEGMENT_SIZE, true));
        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(ours));
        assertThat(counting.listings).isZero();
        assertThat(counting.reads).isEqualTo(1);

        assertThat(fetching.fetch(other, destination))
                .isEqualTo(new FetchResult.Fetched("wal/" + other + ".raw", WalSegmentFiles.SEGMENT_SIZE, true));
        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(written));
        assertThat(counting.listings).isPositive();

        assertThat(fetching.fetch("000000010000000000000005", restore.resolve("END")))
                .isEqualTo(new FetchResult.NotFound("000000010000000000000005"));
        assertThat(restore.resolve("END")).doesNotExist();
        assertNoTemporaryFiles();
    }

    /** Counts the listings and reads that reach the storage beneath. */
    private static final class CountingStorage extends io.walstash.core.storage.ForwardingStorage {
        int listings;
        int reads;

        CountingStorage(InMemoryStorage delegate) {
            super(delegate);
        }

        @Override
        public Stream<io.walstash.core.storage.ObjectInfo> list(String keyPrefix) throws IOException {
            listings++;
            return delegate.list(keyPrefix);
        }

        @Override
        public java.io.InputStream read(String key) throws IOException {
            reads++;
            return delegate.read(key);
        }

        @Override
        public void close() {
            // the shared in-memory storage stays open for the test's own archive
        }
    }

    /** Overwrites the local WAL file with other bytes just before the upload reads its stream. */
    private static final class OverwritingStorage extends io.walstash.core.storage.ForwardingStorage {
        private final Path file;

        OverwritingStorage(InMemoryStorage delegate, Path file) {
            super(delegate);
            this.file = file;
        }

        @Override
        public boolean createIfAbsent(String key, java.io.InputStream content) throws IOException {
            if (key.startsWith("wal/")) {
                byte[] bytes = Files.readAllBytes(file);
                bytes[bytes.length - 1] ^= 1;
                Files.write(file, bytes);
            }
            return delegate.createIfAbsent(key, content);
        }

        @Override
        public void close() {
            // the shared in-memory storage stays open for the test's own archive
        }
    }

    @Test
    void walGsEncryptedSegmentIsDecryptedThenDecodedWithTheConfiguredKey() throws IOException {
        byte[] key = new byte[32];
        new java.util.Random(5).nextBytes(key);
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        String walgKey = "wal_005/" + SEGMENT + ".dft";
        storage.createIfAbsent(walgKey, new java.io.ByteArrayInputStream(walGEncrypted(key, Files.readAllBytes(segment))));
        Path destination = restore.resolve("RECOVERYXLOG");

        FetchResult result = archive.readingWalG(WalGEncryption.ofKey(key)).fetch(SEGMENT, destination);

        assertThat(result).isEqualTo(new FetchResult.Fetched(walgKey, WalSegmentFiles.SEGMENT_SIZE, false));
        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(segment));
        assertNoTemporaryFiles();
    }

    @Test
    void walGsEncryptedSegmentUnderAnotherKeyIsCorruptAndNothingIsPlaced() throws IOException {
        byte[] key = new byte[32];
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        storage.createIfAbsent("wal_005/" + SEGMENT + ".dft",
                new java.io.ByteArrayInputStream(walGEncrypted(key, Files.readAllBytes(segment))));
        Path destination = restore.resolve("RECOVERYXLOG");
        byte[] other = key.clone();
        other[31] = 1;

        assertThatThrownBy(() -> archive.readingWalG(WalGEncryption.ofKey(other)).fetch(SEGMENT, destination))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageStartingWith("object wal_005/" + SEGMENT + ".dft does not decrypt: chunk 1");
        assertThat(destination).doesNotExist();
        assertNoTemporaryFiles();
    }

    @Test
    void walstashsOwnObjectsAreNotDecryptedWithWalGsKey() throws IOException {
        Path segment = WalSegmentFiles.segment(pgWal, SEGMENT, SYSTEM, 1);
        archive.push(segment);
        Path destination = restore.resolve("RECOVERYXLOG");

        archive.readingWalG(WalGEncryption.ofKey(new byte[32])).fetch(SEGMENT, destination);

        assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(segment));
    }

    /** {@code plain} as WAL-G stores it with libsodium on: compressed, then encrypted by libsodium itself. */
    private byte[] walGEncrypted(byte[] key, byte[] plain) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(compressed)) {
            out.write(plain);
        }
        return WalGLibsodium.encrypt(key, compressed.toByteArray());
    }

    private void assertNoTemporaryFiles() throws IOException {
        try (Stream<Path> files = Files.list(restore)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".walstash-tmp"));
        }
    }
}
