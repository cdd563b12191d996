package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.spool.PushResult;
import io.walstash.core.spool.Spool;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.StorageContractTest.PausingInputStream;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class WalServicePushTest {
    private static final long SYSTEM = 7_312_345_678_901_234_567L;
    private static final RetryPolicy FAST = new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(20));
    private static final RetryPolicy NO_RETRIES = new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(20));

    @TempDir
    Path pgWal;
    @TempDir
    Path spoolDir;

    private final ScriptedStorage storage = new ScriptedStorage();
    private final Codec codec = new DeflateTestCodec();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private WalService service;

    @BeforeEach
    void statusDirectory() throws IOException {
        Files.createDirectories(pgWal.resolve("archive_status"));
    }

    @AfterEach
    void close() throws IOException {
        threads.shutdownNow();
        if (service != null) {
            service.close();
        }
    }

    private WalService service(WalService.Mode mode, int concurrency, RetryPolicy retry, Optional<Spool> spool) {
        return service(mode, concurrency, retry, spool, codec);
    }

    private WalService service(WalService.Mode mode, int concurrency, RetryPolicy retry, Optional<Spool> spool,
                               Codec codec) {
        WalArchive archive = new WalArchive(storage, codec, Codecs.of(List.of(codec)), "walstash test",
                Clock.fixed(Instant.parse("2026-11-24T00:00:00Z"), ZoneOffset.UTC));
        service = new WalService(archive, mode, new WalService.PushOptions(concurrency, 32, retry, spool), warnings::add);
        return service;
    }

    private static String name(int n) {
        return String.format("0000000100000000%08X", n);
    }

    private static String key(String name) {
        return "wal/" + name + ".dft";
    }

    /** Writes segment {@code n} into pg_wal, marked ready when {@code ready}. */
    private Path segment(int n, boolean ready) throws IOException {
        Path file = WalSegmentFiles.segment(pgWal, name(n), SYSTEM, n);
        if (ready) {
            Files.createFile(pgWal.resolve("archive_status/" + name(n) + ".ready"));
        }
        return file;
    }

    private Path marker(int n) {
        return pgWal.resolve("walstash/pushed/" + name(n));
    }

    @Test
    void lookAheadUploadsTheReadySuccessorsOnceAndTheirOwnPushesReturnAtOnce() throws IOException {
        Path first = segment(3, true);
        IntStream.rangeClosed(4, 7).forEach(n -> uncheck(() -> segment(n, true)));
        segment(8, false); // not ready: PostgreSQL may still be writing it
        segment(2, true); // before S: not look-ahead's business
        WalSegmentFiles.segment(pgWal, "000000020000000000000009", SYSTEM, 9);
        Files.createFile(pgWal.resolve("archive_status/000000020000000000000009.ready")); // another timeline
        Files.writeString(pgWal.resolve("00000002.history"), "1\t0/9000000\tno recovery target specified\n");
        Files.createFile(pgWal.resolve("archive_status/00000002.history.ready"));
        WalService wal = service(WalService.Mode.ONE_SHOT, 4, FAST, Optional.empty());

        assertThat(wal.push(first)).isInstanceOf(PushResult.Archived.class);

        for (int n = 3; n <= 7; n++) {
            assertThat(storage.storedCount(key(name(n)))).as(name(n)).isEqualTo(1);
        }
        assertThat(storage.memory.keys()).doesNotContain(key(name(8)), key(name(2)),
                key("000000020000000000000009"), key("00000002.history"));
        assertThat(marker(3)).doesNotExist();
        for (int n = 4; n <= 7; n++) {
            assertThat(marker(n)).exists();
            assertThat(Files.readString(marker(n))).contains("sha256=").contains("size=" + WalSegmentFiles.SEGMENT_SIZE);
            // owner-only whatever the umask (the test JVM's is the usual 022)
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(marker(n))))
                    .isEqualTo("rw-------");
            PushResult again = wal.push(pgWal.resolve(name(n)));
            assertThat(again).isEqualTo(new PushResult.AlreadyArchived(key(name(n))));
            assertThat(storage.attempts(key(name(n)))).as("uploads of " + name(n)).isEqualTo(1);
        }
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                marker(4).getParent()))).isEqualTo("rwx------");
        assertThat(warnings).isEmpty();
    }

    @Test
    void lookAheadUploadsCompressWithTheFasterCodecAndPostgresqlsOwnCallWithTheConfiguredOne() throws IOException {
        Path first = segment(3, true);
        IntStream.rangeClosed(4, 7).forEach(n -> uncheck(() -> segment(n, true)));
        CountingCodec configured = new CountingCodec(new CountingCodec(null));
        WalService wal = service(WalService.Mode.ONE_SHOT, 4, FAST, Optional.empty(), configured);

        assertThat(wal.push(first)).isInstanceOf(PushResult.Archived.class);

        assertThat(configured.compressed).as("PostgreSQL's own call").hasValue(1);
        assertThat(configured.faster().compressed).as("the four look-ahead uploads").hasValue(4);
        for (int n = 4; n <= 7; n++) {
            assertThat(wal.push(pgWal.resolve(name(n)))).isEqualTo(new PushResult.AlreadyArchived(key(name(n))));
        }
        Path fetched = pgWal.resolveSibling("fetched");
        assertThat(wal.fetch(name(5), fetched)).isInstanceOf(FetchResult.Fetched.class);
        assertThat(fetched).hasSameBinaryContentAs(pgWal.resolve(name(5)));
    }

    /** Deflate that counts what it compressed; its faster form is another such codec (or itself). */
    private static final class CountingCodec implements Codec {
        private final DeflateTestCodec deflate = new DeflateTestCodec();
        private final CountingCodec faster;
        final java.util.concurrent.atomic.AtomicInteger compressed = new java.util.concurrent.atomic.AtomicInteger();

        CountingCodec(CountingCodec faster) {
            this.faster = faster;
        }

        @Override
        public String name() {
            return deflate.name();
        }

        @Override
        public String fileExtension() {
            return deflate.fileExtension();
        }

        @Override
        public java.io.OutputStream compress(java.io.OutputStream out) {
            compressed.incrementAndGet();
            return deflate.compress(out);
        }

        @Override
        public java.io.InputStream decompress(java.io.InputStream in) {
            return deflate.decompress(in);
        }

        @Override
        public CountingCodec faster() {
            return faster == null ? this : faster;
        }
    }

    @Test
    void markersOfSegmentsGoneFromPgWalAreRemoved() throws IOException {
        Path first = segment(3, true);
        segment(4, true);
        segment(5, true);
        WalService wal = service(WalService.Mode.ONE_SHOT, 2, FAST, Optional.empty());
        wal.push(first);
        assertThat(marker(4)).exists();
        assertThat(marker(5)).exists();

        Files.delete(pgWal.resolve(name(4))); // PostgreSQL recycled it
        segment(6, true);
        wal.push(pgWal.resolve(name(5)));
        wal.push(pgWal.resolve(name(6)));

        assertThat(marker(4)).doesNotExist();
        assertThat(marker(5)).exists();
    }

    @Test
    void markerIsWrittenOnlyAfterStorageAcknowledged() throws IOException {
        Path first = segment(3, true);
        segment(4, true);
        // the object reaches storage but the acknowledgement is lost
        storage.hook(key(name(4)), (key, content, attempt) -> {
            storage.storeNow(key, content);
            throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection reset after upload");
        });
        WalService wal = service(WalService.Mode.ONE_SHOT, 2, NO_RETRIES, Optional.empty());

        wal.push(first);

        assertThat(storage.memory.keys()).contains(key(name(4)));
        assertThat(marker(4)).doesNotExist();
        assertThat(warnings).singleElement().asString().contains("look-ahead upload of " + name(4));

        PushResult own = wal.push(pgWal.resolve(name(4)));

        assertThat(own).isEqualTo(new PushResult.AlreadyArchived(key(name(4))));
        assertThat(storage.storedCount(key(name(4)))).isEqualTo(1);
    }

    @Test
    void markerOfAChangedFileIsNotTrusted() throws IOException {
        Path first = segment(3, true);
        Path second = segment(4, true);
        WalService wal = service(WalService.Mode.ONE_SHOT, 2, FAST, Optional.empty());
        wal.push(first);
        assertThat(marker(4)).exists();

        // same name and size, other bytes, other time: whatever the marker says, this must be compared
        WalSegmentFiles.segment(pgWal, name(4), SYSTEM, 999);
        Files.setLastModifiedTime(second, FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));

        PushResult result = wal.push(second);

        assertThat(result).isInstanceOf(PushResult.Conflict.class);
    }

    @Test
    void daemonRequestForASegmentInFlightWaitsForItsLookAheadUpload() throws Exception {
        Path first = segment(3, true);
        Path second = segment(4, true);
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        storage.hook(key(name(4)), (key, content, attempt) -> storage.storeNow(key,
                new PausingInputStream(content, 100, reached, proceed, Duration.ofSeconds(30))));
        WalService wal = service(WalService.Mode.DAEMON, 2, FAST, Optional.empty());

        assertThat(wal.push(first)).isInstanceOf(PushResult.Archived.class); // returns while 4 is in flight
        assertThat(reached.await(20, TimeUnit.SECONDS)).isTrue();
        Future<PushResult> own = threads.submit(() -> wal.push(second));
        assertThat(own.isDone()).isFalse();
        proceed.countDown();

        assertThat(own.get(20, TimeUnit.SECONDS)).isInstanceOf(PushResult.Archived.class);
        assertThat(storage.attempts(key(name(4)))).isEqualTo(1);
    }

    @Test
    void transientFailuresAreRetriedAndOthersAreNot() throws IOException {
        Path file = segment(3, false);
        storage.hook(key(name(3)), (key, content, attempt) -> {
            if (attempt < 3) {
                throw new StorageFailure(StorageFailure.Reason.SERVICE_ERROR, "HTTP 503 slow down");
            }
            return storage.storeNow(key, content);
        });
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, FAST, Optional.empty());

        assertThat(wal.push(file)).isInstanceOf(PushResult.Archived.class);
        assertThat(storage.attempts(key(name(3)))).isEqualTo(3);

        Path denied = segment(4, false);
        storage.hook(key(name(4)), (key, content, attempt) -> {
            throw new StorageFailure(StorageFailure.Reason.ACCESS_DENIED, "bucket policy");
        });
        assertThatThrownBy(() -> wal.push(denied)).isInstanceOf(StorageFailure.class).hasMessageContaining("access denied");
        assertThat(storage.attempts(key(name(4)))).isEqualTo(1);
    }

    @Test
    void retriesSpentReportTheLastFailure() throws IOException {
        Path file = segment(3, false);
        storage.hook(key(name(3)), (key, content, attempt) -> {
            throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused " + attempt);
        });
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, FAST, Optional.empty());

        assertThatThrownBy(() -> wal.push(file)).isInstanceOf(StorageFailure.class)
                // the retry layer names the storage request it retried
                .hasMessageContaining("create " + key(name(3)) + " failed 4 times")
                .hasMessageContaining("connection refused 4");
    }

    @Test
    void hangingUploadIsAbandonedAtTheTimeoutAndTheRetrySucceeds() throws IOException {
        Path file = segment(3, false);
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        storage.hook(key(name(3)), (key, content, attempt) -> storage.storeNow(key, attempt == 1
                ? new PausingInputStream(content, 1000, reached, never, Duration.ofSeconds(50)) : content));
        RetryPolicy retry = new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(500));
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, retry, Optional.empty());

        long started = System.nanoTime();
        PushResult result = wal.push(file);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(result).isInstanceOf(PushResult.Archived.class);
        assertThat(reached.getCount()).isZero();
        assertThat(took).isLessThan(Duration.ofSeconds(10));
        assertThat(storage.attempts(key(name(3)))).isEqualTo(2);
    }

    @Test
    void uploadThatCompletesAfterItsTimeoutIsFoundIdenticalByTheRetry() throws IOException {
        Path file = segment(3, false);
        CountDownLatch never = new CountDownLatch(1);
        storage.hook(key(name(3)), (key, content, attempt) -> {
            boolean created = storage.storeNow(key, content);
            if (attempt == 1) {
                try {
                    never.await(50, TimeUnit.SECONDS); // the acknowledgement never arrives
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new java.io.InterruptedIOException("abandoned");
            }
            return created;
        });
        RetryPolicy retry = new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(500));
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, retry, Optional.empty());

        // the retried create finds the bytes its abandoned attempt stored: that upload was ours
        assertThat(wal.push(file)).isInstanceOfSatisfying(PushResult.Archived.class,
                archived -> assertThat(archived.key()).isEqualTo(key(name(3))));
        assertThat(storage.storedCount(key(name(3)))).isEqualTo(1);
    }

    @Test
    void unreachableStorageSpoolsTheFileDurablyAndThePushSucceeds() throws IOException {
        Path file = segment(3, false);
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, FAST, Optional.of(new Spool(spoolDir, 1L << 30)));

        PushResult result = wal.push(file);

        assertThat(result).isInstanceOf(PushResult.Spooled.class);
        PushResult.Spooled spooled = (PushResult.Spooled) result;
        assertThat(spooled.spoolPath()).isEqualTo(spoolDir.resolve(name(3)));
        assertThat(spooled.reason()).contains("connection refused");
        assertThat(Files.mismatch(file, spooled.spoolPath())).isEqualTo(-1);
        assertThat(SpoolBacklog.read(spoolDir).files()).extracting(SpoolBacklog.Entry::name).containsExactly(name(3));
        try (Stream<Path> children = Files.list(spoolDir)) {
            assertThat(children.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void withoutASpoolAFailedUploadIsAFailedPush() throws IOException {
        Path file = segment(3, false);
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, FAST, Optional.empty());

        assertThatThrownBy(() -> wal.push(file)).isInstanceOf(StorageFailure.class).hasMessageContaining("connection refused");
    }

    @Test
    void conflictsAndForeignSegmentsAreNeverSpooled() throws IOException {
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, FAST, Optional.of(new Spool(spoolDir, 1L << 30)));
        wal.push(segment(3, false));
        Path other = Files.createDirectory(pgWal.resolve("other"));
        Path changed = WalSegmentFiles.segment(other, name(3), SYSTEM, 77);
        Path foreign = WalSegmentFiles.segment(other, name(4), 42L, 4);

        assertThat(wal.push(changed)).isInstanceOf(PushResult.Conflict.class);
        assertThatThrownBy(() -> wal.push(foreign)).isInstanceOf(ForeignRepositoryException.class);
        assertThat(SpoolBacklog.read(spoolDir).count()).isZero();
    }

    @Test
    void spoolPastItsSizeLimitFailsThePush() throws IOException {
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, NO_RETRIES,
                Optional.of(new Spool(spoolDir, WalSegmentFiles.SEGMENT_SIZE * 3L / 2)));

        assertThat(wal.push(segment(3, false))).isInstanceOf(PushResult.Spooled.class);
        assertThatThrownBy(() -> wal.push(segment(4, false)))
                .isInstanceOf(Spool.SpoolFullException.class)
                .hasMessageContaining("cannot archive " + name(4))
                .hasMessageContaining("connection refused")
                .hasMessageContaining("is full")
                .hasMessageContaining("WALSTASH_SPOOL_MAX_SIZE");
        assertThat(SpoolBacklog.read(spoolDir).files()).extracting(SpoolBacklog.Entry::name).containsExactly(name(3));
    }

    @Test
    void nextPushDrainsTheSpoolInWalOrderFirst() throws IOException {
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, NO_RETRIES, Optional.of(new Spool(spoolDir, 1L << 30)));
        for (int n : new int[] {5, 3, 4}) {
            assertThat(wal.push(segment(n, false))).isInstanceOf(PushResult.Spooled.class);
        }
        storage.down = null;

        assertThat(wal.push(segment(6, false))).isInstanceOf(PushResult.Archived.class);

        assertThat(storage.stored).containsExactly(RepositoryMarker.KEY, key(name(3)), key(name(4)), key(name(5)), key(name(6)));
        assertThat(SpoolBacklog.read(spoolDir).count()).isZero();
        for (int n = 3; n <= 5; n++) {
            assertThat(storage.memory.bytes(key(name(n)))).isNotEmpty();
        }
    }

    @Test
    void conflictDuringDrainKeepsTheFileAndStops() throws IOException {
        Spool spool = new Spool(spoolDir, 1L << 30);
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, NO_RETRIES, Optional.of(spool));
        Path elsewhere = Files.createDirectory(pgWal.resolve("elsewhere"));
        wal.push(WalSegmentFiles.segment(elsewhere, name(4), SYSTEM, 1234)); // storage holds another 4
        storage.down = new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
        for (int n = 3; n <= 5; n++) {
            wal.push(segment(n, false));
        }
        storage.down = null;

        Spool.Drain drain = wal.drainSpool();

        assertThat(drain.drained()).containsExactly(name(3));
        assertThat(drain.conflict()).get().extracting(PushResult.Conflict::key).isEqualTo(key(name(4)));
        assertThat(drain.left()).isEqualTo(2);
        assertThat(SpoolBacklog.read(spoolDir).files()).extracting(SpoolBacklog.Entry::name).containsExactly(name(4), name(5));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("spooled " + name(4)).contains("DIFFERENT content")
                .contains(spoolDir.toString()));
        assertThat(storage.memory.keys()).doesNotContain(key(name(5)));
    }

    @Test
    void damagedSpooledFileIsReportedAndKeptWhileThePushGoesOn() throws IOException {
        Files.write(spoolDir.resolve(name(3)), new byte[] {1, 2, 3}); // not a segment
        WalService wal = service(WalService.Mode.ONE_SHOT, 1, NO_RETRIES, Optional.of(new Spool(spoolDir, 1L << 30)));

        assertThat(wal.push(segment(4, false))).isInstanceOf(PushResult.Archived.class);

        assertThat(spoolDir.resolve(name(3))).exists();
        assertThat(warnings).singleElement().asString().contains("spool " + spoolDir + " not drained, 1 file(s) waiting")
                .contains("not a WAL segment");
    }

    @Test
    void secondDrainerFindsTheSpoolBusyAndEachFileIsPushedOnce() throws Exception {
        Spool spool = new Spool(spoolDir, 1L << 30);
        Path source = Files.createDirectory(pgWal.resolve("source"));
        spool.store(WalSegmentFiles.segment(source, name(3), SYSTEM, 3), new IOException("down"));
        spool.store(WalSegmentFiles.segment(source, name(4), SYSTEM, 4), new IOException("down"));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> pushed = new CopyOnWriteArrayList<>();
        Future<Spool.Drain> first = threads.submit(() -> spool.drain((file, unsealed) -> {
            inside.countDown();
            try {
                assertThat(release.await(20, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            pushed.add(file.getFileName().toString());
            return new PushResult.Archived(key(file.getFileName().toString()), 1, 1);
        }));
        assertThat(inside.await(20, TimeUnit.SECONDS)).isTrue();

        Spool.Drain second = spool.drain((file, unsealed) -> {
            pushed.add("second:" + file.getFileName());
            return new PushResult.Archived("x", 1, 1);
        });
        release.countDown();

        assertThat(second.busy()).isTrue();
        assertThat(first.get(20, TimeUnit.SECONDS).drained()).containsExactly(name(3), name(4));
        assertThat(pushed).containsExactly(name(3), name(4));
        assertThat(SpoolBacklog.read(spoolDir).count()).isZero();
    }

    @Test
    void secondDrainInTheSameProcessDoesNotReleaseTheLockTheFirstHolds() throws Exception {
        Spool spool = new Spool(spoolDir, 1L << 30);
        Path source = Files.createDirectory(pgWal.resolve("source"));
        spool.store(WalSegmentFiles.segment(source, name(3), SYSTEM, 3), new IOException("down"));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Spool.Drain> first = threads.submit(() -> spool.drain((file, unsealed) -> {
            inside.countDown();
            try {
                assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            return new PushResult.Archived(key(file.getFileName().toString()), 1, 1);
        }));
        assertThat(inside.await(20, TimeUnit.SECONDS)).isTrue();
        try {
            // a daemon's second drain: busy, and it must leave the first one's OS lock in place
            assertThat(spool.drain((file, unsealed) -> new PushResult.Archived("x", 1, 1)).busy()).isTrue();
            assertThat(io.walstash.core.spool.LockProbe.canLock(spoolDir.resolve(".drain.lock")))
                    .as("another process (a command-line push) could take the drain lock").isFalse();
        } finally {
            release.countDown();
        }
        assertThat(first.get(20, TimeUnit.SECONDS).drained()).containsExactly(name(3));
        assertThat(io.walstash.core.spool.LockProbe.canLock(spoolDir.resolve(".drain.lock"))).isTrue();
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private static void uncheck(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
