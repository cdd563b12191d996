package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.config.Settings;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Prefetch and retries on the fetch path, served by {@link WalService} over in-memory storage. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WalPrefetchTest {
    private static final long SYSTEM = 7_312_345_678_901_234_567L;
    private static final WalSegmentSize SIZE = WalSegmentSize.ofBytes(WalSegmentFiles.SEGMENT_SIZE);
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path source;
    @TempDir
    Path pgWal;

    private final InMemoryStorage memory = new InMemoryStorage();
    private final FaultyStorage storage = new FaultyStorage(memory);
    private final Codec codec = new DeflateTestCodec();
    private final List<SegmentFileName> segments = names(1, 10);
    private final List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    private WalService service;

    @BeforeEach
    void archiveSegments() throws IOException {
        try (WalArchive pusher = archive()) {
            for (SegmentFileName name : segments) {
                pusher.push(WalSegmentFiles.segment(source, name.fileName(), SYSTEM, name.segment()));
            }
        }
    }

    @AfterEach
    void close() throws IOException {
        if (service != null) {
            service.close();
        }
    }

    private WalArchive archive() {
        return new WalArchive(storage, codec, Codecs.of(List.of(codec)), "walstash test", Clock.systemUTC());
    }

    private WalService daemon(int concurrency) {
        return daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), Integer.toString(concurrency)));
    }

    private WalService daemon(Map<String, String> settings) {
        service = WalService.over(archive(), WalService.Mode.DAEMON, Settings.of(settings), Map.of(), warnings::add);
        return service;
    }

    private static List<SegmentFileName> names(int first, int last) {
        return java.util.stream.LongStream.rangeClosed(first, last)
                .mapToObj(n -> SegmentFileName.of(1, n, SIZE)).toList();
    }

    private Path destination() {
        return pgWal.resolve("RECOVERYXLOG");
    }

    private Path prefetchDirectory() {
        return PrefetchDirectory.beside(destination(), storage.location(), Clock.systemUTC()).path();
    }

    /** The prefetched file of {@code name} (kept decoded, named with its SHA-256), or a path that does not exist. */
    private Path prefetched(SegmentFileName name) throws IOException {
        return PrefetchDirectory.beside(destination(), storage.location(), Clock.systemUTC()).find(name)
                .map(PrefetchDirectory.Prefetched::file)
                .orElse(prefetchDirectory().resolve(name.fileName() + ".dft"));
    }

    private String key(SegmentFileName name) {
        return "wal/" + name.fileName() + ".dft";
    }

    private FetchResult.Fetched fetchAndCheck(WalService wal, SegmentFileName name) throws Exception {
        FetchResult result = wal.fetch(name.fileName(), destination());
        assertThat(result).isInstanceOf(FetchResult.Fetched.class);
        assertThat(Files.readAllBytes(destination())).as("bytes of " + name)
                .isEqualTo(Files.readAllBytes(source.resolve(name.fileName())));
        assertThat(wal.awaitPrefetch(WAIT)).isTrue();
        return (FetchResult.Fetched) result;
    }

    @Test
    void fetchPrefetchesTheNextSegmentsAndTheNextFetchUsesThemWithoutReadingStorage() throws Exception {
        WalService wal = daemon(3);

        assertThat(fetchAndCheck(wal, segments.get(0)).prefetched()).isFalse();
        for (SegmentFileName next : segments.subList(1, 4)) {
            assertThat(prefetched(next)).exists();
        }
        assertThat(prefetched(segments.get(4))).doesNotExist();
        assertThat(storage.reads(key(segments.get(1)))).isEqualTo(1);

        FetchResult.Fetched second = fetchAndCheck(wal, segments.get(1));
        assertThat(second.prefetched()).isTrue();
        assertThat(second.verified()).isTrue();
        assertThat(second.key()).isEqualTo(key(segments.get(1)));
        assertThat(storage.reads(key(segments.get(1)))).as("storage reads of the prefetched segment").isEqualTo(1);
        assertThat(prefetched(segments.get(1))).as("used prefetched file").doesNotExist();
        assertThat(prefetched(segments.get(4))).as("the window moved on").exists();

        // the whole chain: every segment read from storage exactly once
        for (SegmentFileName next : segments.subList(2, segments.size())) {
            assertThat(fetchAndCheck(wal, next).prefetched()).as(next.fileName()).isTrue();
        }
        for (SegmentFileName name : segments) {
            assertThat(storage.reads(key(name))).as(name.fileName()).isEqualTo(1);
        }
        try (Stream<Path> left = Files.list(prefetchDirectory())) {
            assertThat(left).as("nothing left behind after the end of the archive").isEmpty();
        }
        assertThat(wal.fetch(names(11, 11).get(0).fileName(), destination())).isInstanceOf(FetchResult.NotFound.class);
    }

    @Test
    void corruptPrefetchedFileIsDeletedAndTheSegmentFetchedFromStorage() throws Exception {
        WalService wal = daemon(2);
        fetchAndCheck(wal, segments.get(0));
        Path file = prefetched(segments.get(1));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(file, bytes);

        FetchResult.Fetched fetched = fetchAndCheck(wal, segments.get(1));

        assertThat(fetched.prefetched()).isFalse();
        assertThat(storage.reads(key(segments.get(1)))).isEqualTo(2);
        assertThat(file).doesNotExist();
        assertThat(warnings).singleElement().asString().startsWith("walstash: warning: prefetched file " + file)
                .endsWith("deleted it, fetching " + segments.get(1) + " from storage");
        assertThat(fetchAndCheck(wal, segments.get(2)).prefetched()).as("later segments still from prefetch").isTrue();
    }

    @Test
    void truncatedSwappedOrHeaderlessPrefetchedFileIsNotUsed() throws Exception {
        WalService wal = daemon(4);
        fetchAndCheck(wal, segments.get(0));
        Path truncated = prefetched(segments.get(1));
        byte[] bytes = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        // segment 4's intact bytes under segment 3's name: a whole segment, but not the one recorded
        Path swapped = prefetched(segments.get(2));
        Files.copy(prefetched(segments.get(3)), swapped, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // decoded bytes under the name of a stored object, which must begin with walstash's header
        Path decoded = prefetched(segments.get(4));
        Path headerless = decoded.resolveSibling(segments.get(4).fileName() + ".dft");
        Files.move(decoded, headerless);

        assertThat(fetchAndCheck(wal, segments.get(1)).prefetched()).isFalse();
        assertThat(fetchAndCheck(wal, segments.get(2)).prefetched()).isFalse();
        assertThat(fetchAndCheck(wal, segments.get(3)).prefetched()).as("segment 4 itself is intact").isTrue();
        assertThat(fetchAndCheck(wal, segments.get(4)).prefetched()).isFalse();
        assertThat(truncated).doesNotExist();
        assertThat(swapped).doesNotExist();
        assertThat(headerless).doesNotExist();
        assertThat(warnings).hasSize(3);
        assertThat(warnings.get(0)).contains("(not a segment's size)");
        assertThat(warnings.get(1)).contains("fails its checksum: recorded sha256 " + swapped.getFileName().toString()
                .substring(segments.get(2).fileName().length() + ".dft.".length()));
        assertThat(warnings.get(2)).contains("has no walstash header");
    }

    @Test
    void aPrefetchedSegmentIsKeptDecodedAndSyncedAndTakingItIsARename() throws Exception {
        WalService wal = daemon(1);
        fetchAndCheck(wal, segments.get(0));
        Path kept = prefetched(segments.get(1));
        byte[] plain = Files.readAllBytes(source.resolve(segments.get(1).fileName()));
        assertThat(kept).hasBinaryContent(plain);
        assertThat(kept.getFileName().toString()).isEqualTo(segments.get(1).fileName() + ".dft."
                + java.util.HexFormat.of().formatHex(io.walstash.core.io.Digests.sha256().digest(plain)));
        Object inode = Files.readAttributes(kept, java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        assertThat(fetchAndCheck(wal, segments.get(1)).prefetched()).isTrue();

        assertThat(Files.readAttributes(destination(), java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .as("the prefetched file itself, renamed into place").isEqualTo(inode);
        assertThat(Files.getPosixFilePermissions(destination()))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void temporaryAndStaleFilesAreIgnoredAndStaleOnesRemoved() throws Exception {
        WalService wal = daemon(1);
        Path directory = Files.createDirectories(prefetchDirectory());
        // a complete copy under a temporary name (a download not yet renamed) is not taken
        Path temporary = directory.resolve("." + segments.get(1).fileName() + ".dft.1234.tmp");
        Files.write(temporary, memory.bytes(key(segments.get(1))));
        // a complete but old file is not taken either
        Path stale = directory.resolve(segments.get(2).fileName() + ".dft");
        Files.write(stale, memory.bytes(key(segments.get(2))));
        FileTime old = FileTime.from(Instant.now().minus(PrefetchDirectory.STALE_AFTER).minusSeconds(60));
        Files.setLastModifiedTime(stale, old);
        Path oldTemporary = directory.resolve("." + segments.get(5).fileName() + ".dft.99.tmp");
        Files.write(oldTemporary, new byte[10]);
        Files.setLastModifiedTime(oldTemporary, old);

        WalPrefetch prefetch = new WalPrefetch(archive(), new FetchRetry(storage, 1, WAIT, Duration.ZERO), 1,
                new WalPrefetch.InProcess(), Clock.systemUTC());
        PrefetchDirectory prefetchDirectory = prefetch.directoryBeside(destination());
        assertThat(prefetch.take(prefetchDirectory, segments.get(1), destination())).isEmpty();
        assertThat(prefetch.take(prefetchDirectory, segments.get(2), destination())).isEmpty();
        prefetch.close();

        fetchAndCheck(wal, segments.get(0));
        assertThat(stale).as("stale file removed").doesNotExist();
        assertThat(oldTemporary).as("abandoned temporary file removed").doesNotExist();
        assertThat(temporary).as("fresh temporary file of a download under way kept").exists();
    }

    /**
     * A prefetch worker killed while downloading a segment leaves its temporary file; at the end of
     * the archive no later fetch cleans up after a segment, so "not in the archive" does.
     */
    @Test
    void theEndOfTheArchiveRemovesTemporaryFilesWhoseWriterIsGone() throws Exception {
        WalService wal = daemon(1);
        Path directory = Files.createDirectories(prefetchDirectory());
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        Path abandoned = Files.write(directory.resolve("." + segments.get(9).fileName() + ".dft." + exited.pid() + "."
                + java.util.UUID.randomUUID() + ".walstash-tmp"), new byte[10]);
        Path live = Files.write(directory.resolve("." + segments.get(9).fileName() + ".dft."
                + ProcessHandle.current().pid() + "." + java.util.UUID.randomUUID() + ".walstash-tmp"), new byte[10]);

        assertThat(wal.fetch(SegmentFileName.of(1, 11, SIZE).fileName(), destination()))
                .isInstanceOf(FetchResult.NotFound.class);

        assertThat(abandoned).doesNotExist();
        assertThat(live).as("a writer that runs keeps its file").exists();
    }

    @Test
    void filesOfOtherRepositoriesAndEarlierSegmentsOrTimelinesAreRemoved() throws Exception {
        WalService wal = daemon(1);
        Path root = Files.createDirectories(prefetchDirectory().getParent());
        Path otherRepository = PrefetchDirectory.under(root, URI.create("memory://other"), Clock.systemUTC()).path();
        Files.createDirectories(otherRepository);
        Path foreign = Files.write(otherRepository.resolve(segments.get(1).fileName() + ".dft"),
                memory.bytes(key(segments.get(1))));
        Path directory = Files.createDirectories(prefetchDirectory());
        Path earlier = Files.write(directory.resolve(segments.get(0).fileName() + ".dft"), new byte[1]);

        fetchAndCheck(wal, segments.get(1));

        assertThat(foreign).doesNotExist();
        assertThat(otherRepository).doesNotExist();
        assertThat(earlier).doesNotExist();

        // after a fetch on timeline 2, timeline 1's prefetched files are never asked for
        Path timelineOne = prefetched(segments.get(2));
        assertThat(timelineOne).exists();
        try (WalArchive pusher = archive()) {
            SegmentFileName onTwo = segments.get(1).onTimeline(2);
            pusher.push(WalSegmentFiles.segment(source, onTwo.fileName(), SYSTEM, 99));
            assertThat(wal.fetch(onTwo.fileName(), destination())).isInstanceOf(FetchResult.Fetched.class);
        }
        assertThat(wal.awaitPrefetch(WAIT)).isTrue();
        assertThat(timelineOne).doesNotExist();
    }

    @Test
    void endOfArchiveIsNotFoundWithoutErrorsFromPrefetch() throws Exception {
        WalService wal = daemon(4);
        SegmentFileName last = segments.get(segments.size() - 1);

        assertThat(fetchAndCheck(wal, last).prefetched()).isFalse();

        assertThat(prefetchDirectory()).as("nothing to prefetch after the last segment")
                .satisfiesAnyOf(d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
        SegmentFileName missing = last.next(SIZE);
        int listings = storage.listings();
        int reads = storage.reads(key(missing));
        assertThat(wal.fetch(missing.fileName(), destination())).isEqualTo(new FetchResult.NotFound(missing.fileName()));
        assertThat(wal.awaitPrefetch(WAIT)).isTrue();
        assertThat(storage.listings() - listings)
                .as("a miss lists three times (walstash's and WAL-G's folder, the segment's streamed partials), nothing more")
                .isEqualTo(3);
        assertThat(storage.reads(key(missing)) - reads).as("and reads once the key that a hit is read from straight away")
                .isEqualTo(1);
    }

    @Test
    void objectsWithoutAChecksumHeaderAreLeftToTheNormalFetch() throws Exception {
        // as WAL-G stores them: the compressed segment and nothing else
        SegmentFileName walg = names(11, 11).get(0);
        Path plain = WalSegmentFiles.segment(source, walg.fileName(), SYSTEM, 11);
        java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
        try (java.io.OutputStream out = codec.compress(compressed)) {
            Files.copy(plain, out);
        }
        memory.createIfAbsent(key(walg), new java.io.ByteArrayInputStream(compressed.toByteArray()));
        WalService wal = daemon(1);

        fetchAndCheck(wal, segments.get(segments.size() - 1));

        assertThat(prefetched(walg)).doesNotExist();
        FetchResult.Fetched fetched = fetchAndCheck(wal, walg);
        assertThat(fetched.prefetched()).isFalse();
        assertThat(fetched.verified()).isFalse();
    }

    @Test
    void historyFileFetchPrefetchesNothing() throws Exception {
        Path history = Files.writeString(source.resolve("00000002.history"), "1\t0/3000000\tno recovery target specified\n");
        try (WalArchive pusher = archive()) {
            pusher.push(history);
        }
        WalService wal = daemon(4);

        assertThat(wal.fetch("00000002.history", pgWal.resolve("RECOVERYHISTORY"))).isInstanceOf(FetchResult.Fetched.class);
        assertThat(wal.awaitPrefetch(WAIT)).isTrue();

        assertThat(prefetchDirectory().getParent()).doesNotExist();
    }

    @Test
    void zeroConcurrencyDoesNotPrefetch() throws Exception {
        WalService wal = daemon(0);
        fetchAndCheck(wal, segments.get(0));
        assertThat(prefetchDirectory().getParent()).doesNotExist();
        assertThat(storage.reads(key(segments.get(1)))).isZero();
    }

    @Test
    void oneShotWithoutALauncherDoesNotPrefetch() throws Exception {
        service = WalService.over(archive(), WalService.Mode.ONE_SHOT, Settings.empty(), Map.of());
        fetchAndCheck(service, segments.get(0));
        assertThat(prefetchDirectory().getParent()).doesNotExist();
    }

    @Test
    void oneShotFetchServedFromPrefetchNeverOpensStorage() throws Exception {
        fetchAndCheck(daemon(2), segments.get(0));
        AtomicInteger opened = new AtomicInteger();
        StorageOnFirstUse lazy = new StorageOnFirstUse(io.walstash.core.storage.StorageLocation.parse(
                storage.location().toString()), () -> {
                    opened.incrementAndGet();
                    return storage;
                });
        WalArchive lazyArchive = new WalArchive(lazy, codec, Codecs.of(List.of(codec)), "walstash test", Clock.systemUTC());
        // a launcher that starts no worker: this test is about the fetch itself
        try (WalService oneShot = WalService.over(lazyArchive, WalService.Mode.ONE_SHOT,
                Settings.of(Map.of(CoreSettings.LAUNCHER.name(), "/bin/true")),
                Optional.of((launcher, root) -> List.of(launcher.toString())), Map.of(), System.err::println)) {
            FetchResult result = oneShot.fetch(segments.get(1).fileName(), destination());
            assertThat(result).isInstanceOfSatisfying(FetchResult.Fetched.class, f -> assertThat(f.prefetched()).isTrue());
            assertThat(Files.readAllBytes(destination())).isEqualTo(Files.readAllBytes(source.resolve(segments.get(1).fileName())));
            assertThat(opened).as("storage opened").hasValue(0);
            assertThat(Files.readAllLines(prefetchDirectory().resolve("wanted")))
                    .as("what the worker is asked to prefetch next (the default four)")
                    .containsExactlyElementsOf(segments.subList(2, 6).stream().map(SegmentFileName::fileName).toList());

            assertThat(oneShot.fetch(segments.get(5).fileName(), destination())).isInstanceOf(FetchResult.Fetched.class);
            assertThat(opened).as("opened once needed").hasValue(1);
        }
    }

    @Test
    void theWorkerProcessRunsInThePrefetchFolderItFillsNotWhereTheFetchRan() throws Exception {
        // the worker outlives its fetch: its working directory is the folder it writes into, so it
        // pins no other directory and whoever removes that folder finds it there
        Path reported = source.resolve("worker-cwd");
        try (WalService oneShot = WalService.over(archive(), WalService.Mode.ONE_SHOT,
                Settings.of(Map.of(CoreSettings.LAUNCHER.name(), "/bin/sh")),
                Optional.of((launcher, root) -> List.of(launcher.toString(), "-c",
                        "pwd -P > " + reported + ".tmp && mv " + reported + ".tmp " + reported)),
                Map.of(), warnings::add)) {
            fetchAndCheck(oneShot, segments.get(0));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.exists(reported)) {
                assertThat(System.nanoTime()).as("the worker started").isLessThan(deadline);
                Thread.sleep(10); // polling interval of a bounded wait on another process
            }
        }
        assertThat(Files.readString(reported).strip())
                .isEqualTo(prefetchDirectory().getParent().toRealPath().toString())
                .isNotEqualTo(Path.of("").toRealPath().toString());
    }

    @Test
    void workerDownloadsWhatTheLatestFetchWantsOnceAndExits() throws Exception {
        try (FetchRetry retry = new FetchRetry(storage, 1, WAIT, Duration.ZERO);
             WalPrefetch prefetch = new WalPrefetch(archive(), retry, 2, new WalPrefetch.InProcess(), Clock.systemUTC())) {
            PrefetchDirectory directory = prefetch.directoryBeside(destination());
            List<SegmentFileName> wanted = List.of(segments.get(3), segments.get(4), names(40, 40).get(0));
            directory.want(wanted);

            prefetch.work(directory, WAIT, Duration.ofMillis(300));

            assertThat(prefetched(segments.get(3))).exists();
            assertThat(prefetched(segments.get(4))).exists();
            assertThat(storage.reads(key(segments.get(3)))).isEqualTo(1);
            // taken later through the same verification as a fetch from storage
            Optional<FetchResult.Fetched> taken = prefetch.take(directory, segments.get(3), destination());
            assertThat(taken).hasValueSatisfying(f -> assertThat(f.prefetched()).isTrue());
            assertThat(Files.readAllBytes(destination())).isEqualTo(Files.readAllBytes(source.resolve(segments.get(3).fileName())));
            assertThat(directory.tryLock()).as("lock released").hasValueSatisfying(c -> {
                try {
                    c.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * Taking a file this process placed checks its CRC-32C rather than its SHA-256 (on PostgreSQL's
     * wait); a change to it still sends the take to the SHA-256, which refuses it; a file another
     * process placed (here another instance, as a one-shot fetch takes its worker's) is hashed in full.
     */
    @Test
    void aFilePlacedByThisProcessIsTakenOnItsCrcAnyOtherOnItsSha256() throws Exception {
        try (FetchRetry retry = new FetchRetry(storage, 1, WAIT, Duration.ZERO);
             WalPrefetch here = new WalPrefetch(archive(), retry, 2, new WalPrefetch.InProcess(), Clock.systemUTC(),
                     warnings::add);
             WalPrefetch elsewhere = new WalPrefetch(archive(), retry, 2, new WalPrefetch.InProcess(), Clock.systemUTC(),
                     warnings::add)) {
            PrefetchDirectory directory = here.directoryBeside(destination());
            for (SegmentFileName name : segments.subList(1, 4)) {
                assertThat(here.download(directory, name)).isEqualTo(WalPrefetch.Download.STORED);
            }

            assertThat(here.take(directory, segments.get(1), destination())).isPresent();
            assertThat(destination()).hasSameBinaryContentAs(source.resolve(segments.get(1).fileName()));
            assertThat(here.takesHashedInFull()).as("its own, unchanged: the CRC").isZero();

            Path changed = prefetched(segments.get(2));
            byte[] bytes = Files.readAllBytes(changed);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(changed, bytes); // same size, same inode
            assertThat(here.take(directory, segments.get(2), destination())).isEmpty();
            assertThat(here.takesHashedInFull()).as("the CRC differs: the SHA-256 decides").isEqualTo(1);
            assertThat(warnings).singleElement().asString().contains(changed + " fails its checksum");
            assertThat(changed).doesNotExist();

            assertThat(elsewhere.take(directory, segments.get(3), destination())).isPresent();
            assertThat(destination()).hasSameBinaryContentAs(source.resolve(segments.get(3).fileName()));
            assertThat(elsewhere.takesHashedInFull()).as("placed by another: the SHA-256").isEqualTo(1);
        }
    }

    @Test
    void workerLeavesWhenAnotherHoldsTheLock() throws Exception {
        try (FetchRetry retry = new FetchRetry(storage, 1, WAIT, Duration.ZERO);
             WalPrefetch prefetch = new WalPrefetch(archive(), retry, 2, new WalPrefetch.InProcess(), Clock.systemUTC())) {
            PrefetchDirectory directory = prefetch.directoryBeside(destination());
            directory.want(List.of(segments.get(3)));
            // file locks belong to processes: held here, the worker in this process cannot take it either
            try (var held = directory.tryLock().orElseThrow()) {
                prefetch.work(directory, WAIT, Duration.ofMillis(100));
            }
            assertThat(prefetched(segments.get(3))).doesNotExist();
        }
    }

    @Test
    void transientFailureIsRetriedAndTheFetchSucceeds() throws Exception {
        WalService wal = daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), "0", CoreSettings.FETCH_ATTEMPTS.name(), "3"));
        storage.failNextRead(key(segments.get(0)),
                () -> new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection reset"));

        fetchAndCheck(wal, segments.get(0));

        assertThat(storage.reads(key(segments.get(0)))).isEqualTo(2);
        assertThat(pgWal).isDirectoryNotContaining("glob:**.walstash-tmp");
    }

    @Test
    void failureMidwayThroughTheObjectIsRetried() throws Exception {
        WalService wal = daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), "0"));
        storage.breakNextStream(key(segments.get(0)), 1000);

        fetchAndCheck(wal, segments.get(0));

        assertThat(storage.reads(key(segments.get(0)))).isEqualTo(2);
    }

    @Test
    void permanentFailureIsNotRetried() throws Exception {
        WalService wal = daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), "0", CoreSettings.FETCH_ATTEMPTS.name(), "5"));
        storage.failNextRead(key(segments.get(0)),
                () -> new StorageFailure(StorageFailure.Reason.ACCESS_DENIED, "bucket policy"));

        assertThatThrownBy(() -> wal.fetch(segments.get(0).fileName(), destination()))
                .isInstanceOf(StorageFailure.class).hasMessageContaining("access denied");
        assertThat(storage.reads(key(segments.get(0)))).isEqualTo(1);
        assertThat(destination()).doesNotExist();
    }

    @Test
    void tryThatHangsIsCutOffAfterTheTimeLimitAndRetried() throws Exception {
        WalService wal = daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), "0", CoreSettings.FETCH_TIMEOUT.name(), "1"));
        CountDownLatch closed = storage.hangNextStream(key(segments.get(0)));
        long started = System.nanoTime();

        fetchAndCheck(wal, segments.get(0));

        assertThat(closed.getCount()).as("hanging stream closed by the deadline").isZero();
        assertThat(storage.reads(key(segments.get(0)))).isEqualTo(2);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void triesThatAllHangFailWithOneLineNamingTheTimeLimit() throws Exception {
        WalService wal = daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), "0", CoreSettings.FETCH_TIMEOUT.name(), "1", CoreSettings.FETCH_ATTEMPTS.name(), "2"));
        storage.hangNextStream(key(segments.get(0)));
        storage.hangNextStream(key(segments.get(0)));

        assertThatThrownBy(() -> wal.fetch(segments.get(0).fileName(), destination()))
                .isInstanceOf(StorageFailure.class)
                .hasMessageContaining("within 1 s for " + segments.get(0).fileName());
        assertThat(destination()).doesNotExist();
        assertThat(pgWal).isDirectoryNotContaining("glob:**.walstash-tmp");
    }

    @Test
    void invalidSettingsAreRefusedWithTheirName() {
        assertThatThrownBy(() -> daemon(Map.of(CoreSettings.DOWNLOAD_CONCURRENCY.name(), "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(CoreSettings.DOWNLOAD_CONCURRENCY.name());
        assertThatThrownBy(() -> daemon(Map.of(CoreSettings.FETCH_TIMEOUT.name(), "0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(CoreSettings.FETCH_TIMEOUT.name());
    }

    /** Storage that counts reads and listings and fails chosen reads once, at an exact point. */
    private static final class FaultyStorage extends ForwardingStorage {
        private final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
        private final AtomicInteger listings = new AtomicInteger();
        private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();

        private interface Fault {
            InputStream apply(InputStream real) throws IOException;
        }

        FaultyStorage(Storage delegate) {
            super(delegate);
        }

        int reads(String key) {
            return reads.getOrDefault(key, new AtomicInteger()).get();
        }

        int listings() {
            return listings.get();
        }

        void failNextRead(String key, java.util.function.Supplier<IOException> failure) {
            add(key, real -> {
                real.close();
                throw failure.get();
            });
        }

        void breakNextStream(String key, long goodBytes) {
            add(key, real -> new StorageContractTest.FailingInputStream(real, goodBytes,
                    new IOException("Connection reset")));
        }

        /** The next read of {@code key} blocks until the stream is closed; the latch counts the close. */
        CountDownLatch hangNextStream(String key) {
            CountDownLatch closed = new CountDownLatch(1);
            add(key, real -> new InputStream() {
                @Override
                public int read() throws IOException {
                    try {
                        if (closed.await(1, TimeUnit.MINUTES)) {
                            throw new IOException("Stream closed");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                    throw new IOException("nobody closed the hanging stream");
                }

                @Override
                public void close() throws IOException {
                    closed.countDown();
                    real.close();
                }
            });
            return closed;
        }

        private void add(String key, Fault fault) {
            faults.computeIfAbsent(key, k -> new ArrayDeque<>()).add(fault);
        }

        @Override
        public InputStream read(String key) throws IOException {
            reads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            InputStream real = delegate.read(key);
            Deque<Fault> pending = faults.get(key);
            Fault fault = pending == null ? null : pending.poll();
            return fault == null ? real : fault.apply(real);
        }

        @Override
        public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
            listings.incrementAndGet();
            return delegate.list(keyPrefix);
        }
    }
}
