package io.walstash.core.archive;

import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.io.Digests;
import io.walstash.core.io.Durable;
import io.walstash.core.io.OwnerOnly;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.spool.LocalSealing;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restore prefetch: after PostgreSQL fetched segment S, the next {@code WALSTASH_DOWNLOAD_CONCURRENCY}
 * segments of its timeline are downloaded in the background into a {@link PrefetchDirectory}, decoded,
 * verified and synced there, so that the restore_command calls for them only hash a local file and
 * rename it (with a master key: unseal and decode it). A daemon downloads on its own
 * threads; a one-shot command line starts a detached worker process (the command the front end words)
 * through the launcher, since nothing of the restore_command itself may outlive the call.
 *
 * <p>A prefetched file is used only when complete, fresh and intact: a file that fails its checksum
 * is deleted and the segment fetched from storage as if it had never been prefetched. With a master
 * key configured prefetched files are sealed ({@link LocalSealing}, bound to their repository and
 * name), so that only the segment placed at {@code %p} is clear on local disk; one that fails to
 * unseal (damaged, truncated, swapped, clear, or sealed under another master key) is treated as a
 * damaged file: deleted, and the segment fetched from storage. A segment
 * storage does not have is not prefetched, and nothing is prefetched after a fetch that found
 * nothing, so the end of the archive is answered as quickly as without prefetch.
 */
public final class WalPrefetch implements Closeable {
    public static final int DEFAULT_CONCURRENCY = CoreSettings.DOWNLOAD_CONCURRENCY.defaultValue();
    /** A worker process lives at most this long, then leaves the rest to the next one started. */
    public static final Duration WORKER_LIFETIME = Duration.ofMinutes(10);
    /** A worker with nothing to do waits this long for PostgreSQL's next fetch before exiting. */
    public static final Duration WORKER_LINGER = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(WalPrefetch.class);

    /** How background downloads are started. */
    public sealed interface Background permits InProcess, Detached {
    }

    /** Downloads on this process's threads (a daemon, or the worker itself). */
    public record InProcess() implements Background {
    }

    /**
     * The command line of the worker process that fills the prefetch directory under {@code root},
     * started through {@code launcher}: the front end that owns the launcher words it (its verb and
     * options), so that core names none.
     */
    @FunctionalInterface
    public interface WorkerCommand {
        List<String> of(Path launcher, Path root);
    }

    /**
     * Starts the worker process {@code command} words with {@code environment} added to this
     * process's (it names the repository the same way this process was told).
     */
    public record Detached(Path launcher, WorkerCommand command, Map<String, String> environment) implements Background {
        public Detached {
            Objects.requireNonNull(command);
            environment = Map.copyOf(environment);
        }
    }

    /** What one background download did. */
    public enum Download {
        /** Now in the prefetch directory. */
        STORED,
        /** Not in the archive (yet): nothing to prefetch. */
        NOT_IN_ARCHIVE,
        /** Stored without a walstash header (written by WAL-G): it could not be verified later, so it is left out. */
        UNVERIFIABLE
    }

    private final WalArchive archive;
    private final FetchRetry retry;
    private final int concurrency;
    private final Background background;
    private final Clock clock;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicInteger running = new AtomicInteger();
    private final ExecutorService pool;
    private final Consumer<String> warnings;
    private final LocalSealing sealing;
    /**
     * The decoded files this process placed in a prefetch directory, with the CRC-32C of the bytes it
     * verified against their SHA-256 as it wrote them. Taking one checks that CRC (about 2 ms for a
     * 16 MiB segment) instead of the SHA-256 (about 13 ms, on PostgreSQL's wait for restore_command):
     * the file is this process's own and only accidental change needs finding, which a CRC finds. A
     * file another process placed (a one-shot fetch taking its worker's) or whose CRC differs is
     * checked against its SHA-256 as before, which decides.
     */
    private final Map<Path, Long> placedHere = new ConcurrentHashMap<>();
    private final AtomicLong takesHashedInFull = new AtomicLong();

    /** As below, with warnings logged. */
    public WalPrefetch(WalArchive archive, FetchRetry retry, int concurrency, Background background, Clock clock) {
        this(archive, retry, concurrency, background, clock, LOG::warn);
    }

    /**
     * @param concurrency segments prefetched ahead, and downloaded at once; 0 turns prefetch off
     * @param warnings    receives one line ("walstash: warning: …") when a prefetched file was damaged
     */
    public WalPrefetch(WalArchive archive, FetchRetry retry, int concurrency, Background background, Clock clock,
                       Consumer<String> warnings) {
        this(archive, retry, concurrency, background, clock, warnings, LocalSealing.none());
    }

    /** As above; {@code sealing} keeps prefetched files sealed (when it has a master key). */
    public WalPrefetch(WalArchive archive, FetchRetry retry, int concurrency, Background background, Clock clock,
                       Consumer<String> warnings, LocalSealing sealing) {
        this.sealing = sealing;
        if (concurrency < 0) {
            throw new IllegalArgumentException(CoreSettings.DOWNLOAD_CONCURRENCY.name() + " must not be negative, not " + concurrency);
        }
        this.archive = archive;
        this.retry = retry;
        this.concurrency = concurrency;
        this.background = background;
        this.clock = clock;
        this.warnings = warnings;
        this.pool = background instanceof InProcess && concurrency > 0
                ? ThreadPools.fixed("walstash-prefetch", concurrency)
                : null;
    }

    /** {@code WALSTASH_DOWNLOAD_CONCURRENCY} (WAL-G's WALG_DOWNLOAD_CONCURRENCY), default 4. */
    public static int concurrency(Settings settings) {
        return CoreSettings.DOWNLOAD_CONCURRENCY.get(settings);
    }

    public boolean enabled() {
        return concurrency > 0;
    }

    public PrefetchDirectory directoryBeside(Path destination) {
        return PrefetchDirectory.beside(destination, archive.storage().location(), clock);
    }

    /**
     * Places the prefetched file of {@code segment} at {@code destination}, verified, and deletes it.
     * Empty when there is none, or when it was damaged (then it is deleted and the caller fetches
     * from storage).
     */
    public Optional<FetchResult.Fetched> take(PrefetchDirectory directory, SegmentFileName segment, Path destination)
            throws IOException {
        Optional<PrefetchDirectory.Prefetched> found = directory.find(segment);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        PrefetchDirectory.Prefetched prefetched = found.get();
        Optional<WalArchive.StoredWal> stored = archive.codecs().byExtension(prefetched.extension())
                .map(codec -> new WalArchive.StoredWal(RepositoryLayout.walKey(segment.fileName(), codec), codec));
        if (stored.isEmpty() || (prefetched.decoded() && sealing.active())) {
            // a codec this walstash lacks; or clear WAL that an earlier run without a master key left
            Files.deleteIfExists(prefetched.file());
            return Optional.empty();
        }
        if (prefetched.decoded()) {
            return takeDecoded(prefetched, stored.get(), segment, destination);
        }
        Path file = prefetched.file();
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            return Optional.empty(); // cleaned up by a concurrent fetch; storage still has it
        }
        try {
            String description = "prefetched file " + file;
            FetchResult.Fetched fetched = archive.place(stored.get(),
                    sealing.unsealing(raw, sealedName(directory, file.getFileName().toString()), description), description, true, destination);
            Files.deleteIfExists(file);
            return Optional.of(fetched.asPrefetched());
        } catch (IOException e) {
            // damaged (CorruptObjectException), unreadable, or a header this walstash cannot read: storage
            // still has the segment; a problem with the destination will recur there and be reported
            warnings.accept("walstash: warning: "
                    + (e instanceof CorruptObjectException ? e.getMessage() : "prefetched file " + file + ": " + e)
                    + "; deleted it, fetching " + segment + " from storage");
            Files.deleteIfExists(file);
            return Optional.empty();
        }
    }

    /**
     * Places a file that was decoded and verified when it was downloaded: checked once more (its
     * CRC-32C when this process placed it, else its SHA-256; a damaged file is deleted and the segment
     * fetched from storage, as for a stored object), then renamed to {@code destination}. It was
     * synced before it got its name, so nothing is left to write.
     */
    private Optional<FetchResult.Fetched> takeDecoded(PrefetchDirectory.Prefetched prefetched, WalArchive.StoredWal stored,
                                                      SegmentFileName segment, Path destination) throws IOException {
        Path file = prefetched.file();
        String recorded = prefetched.sha256Hex().orElseThrow();
        Long placedCrc = placedHere.remove(file);
        long length;
        String actual;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            length = in.size();
            if (!WalSegmentSize.isValid(length)) {
                actual = null;
            } else if (placedCrc != null && Digests.crc32c(in) == placedCrc) {
                actual = recorded; // the bytes this process verified when it placed them
            } else {
                takesHashedInFull.incrementAndGet();
                in.position(0);
                actual = Digests.sha256Hex(in);
            }
        } catch (NoSuchFileException e) {
            return Optional.empty(); // cleaned up by a concurrent fetch; storage still has it
        }
        if (!recorded.equals(actual)) {
            warnings.accept("walstash: warning: prefetched file " + file + " fails its checksum: recorded sha256 "
                    + recorded + ", read " + length + " bytes"
                    + (actual == null ? " (not a segment's size)" : " sha256 " + actual)
                    + "; deleted it, fetching " + segment + " from storage");
            Files.deleteIfExists(file);
            return Optional.empty();
        }
        Path target = destination.toAbsolutePath();
        try {
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Durable.syncDirectory(target.getParent());
        return Optional.of(new FetchResult.Fetched(stored.key(), length, true).asPrefetched());
    }

    /**
     * After PostgreSQL got {@code segment} ({@code plainBytes} long, its segment size): removes
     * prefetched files it will not ask for, and starts prefetching the segments after it.
     */
    public void after(PrefetchDirectory directory, SegmentFileName segment, long plainBytes) throws IOException {
        if (!enabled() || !WalSegmentSize.isValid(plainBytes)) {
            return;
        }
        directory.cleanUpAfter(segment);
        placedHere.keySet().removeIf(file -> !Files.exists(file)); // taken by another process, or cleaned up
        List<SegmentFileName> window = PrefetchDirectory.window(segment, WalSegmentSize.ofBytes(plainBytes), concurrency);
        if (background instanceof Detached detached) {
            directory.want(window);
            if (!directory.absent(window).isEmpty()) {
                startWorker(directory, detached);
            }
        } else {
            schedule(directory, directory.absent(window));
        }
    }

    /** Starts the downloads of {@code segments} not already under way on this process's threads. */
    private void schedule(PrefetchDirectory directory, List<SegmentFileName> segments) {
        for (SegmentFileName segment : segments) {
            // a daemon may serve several clusters restoring the same repository into their own pg_wal
            String task = directory.path().resolve(segment.fileName()).toString();
            if (!inFlight.add(task)) {
                continue;
            }
            running.incrementAndGet();
            try {
                pool.execute(() -> {
                    try {
                        download(directory, segment);
                    } catch (IOException | RuntimeException e) {
                        // the fetch of this segment will go to storage and report any real problem
                        LOG.debug("prefetch of {} failed: {}", segment, e.toString());
                    } finally {
                        inFlight.remove(task);
                        finished();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                inFlight.remove(task);
                finished();
                return; // closing
            }
        }
    }

    private void startWorker(PrefetchDirectory directory, Detached detached) throws IOException {
        Optional<FileChannel> lock = directory.tryLock();
        if (lock.isEmpty()) {
            return; // a worker is running; it reads the wanted list we just wrote
        }
        lock.get().close();
        ProcessBuilder builder = new ProcessBuilder(detached.command().of(detached.launcher(), directory.root()));
        builder.environment().putAll(detached.environment());
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        // in the folder it fills rather than wherever the fetch ran: a worker outliving its fetch
        // pins no other directory, and is found (and stopped) by the directory it writes into
        builder.directory(directory.root().toFile());
        builder.redirectErrorStream(true);
        Path log = directory.path().resolve(PrefetchDirectory.WORKER_LOG);
        OwnerOnly.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close(); // keeps its mode when redirected to
        builder.redirectOutput(log.toFile());
        // not waited for: the worker outlives this command, and PostgreSQL waits only for this command
        builder.start();
    }

    /**
     * Downloads {@code segment}'s stored object into the prefetch directory under a temporary name,
     * then renames it: decoded and verified, or, when local files are sealed, sealed as stored.
     * Retries like a fetch.
     */
    public Download download(PrefetchDirectory directory, SegmentFileName segment) throws IOException {
        String name = segment.fileName();
        return retry.call(name, storage -> {
            WalArchive view = archive.withStorage(storage);
            Optional<WalArchive.OpenedWal> found;
            try {
                found = view.open(name);
            } catch (NoSuchObjectException e) {
                return Download.NOT_IN_ARCHIVE; // deleted between listing and reading
            }
            if (found.isEmpty()) {
                return Download.NOT_IN_ARCHIVE;
            }
            WalArchive.StoredWal stored = found.get().stored();
            String fileName = name + "." + stored.codec().fileExtension();
            Path temp = null;
            try (InputStream raw = new BufferedInputStream(found.get().content(), 64 * 1024)) {
                directory.create();
                temp = directory.temporary(fileName);
                Optional<ObjectHeader> header = ObjectHeader.readFrom(raw);
                if (header.isEmpty()) {
                    return Download.UNVERIFIABLE;
                }
                raw.reset(); // readFrom marked the start: the object is read from its header on
                if (!sealing.active()) {
                    // decoded, verified and synced now, beside PostgreSQL's replay, so that taking
                    // it is one more check and a rename; its name records the plain bytes' SHA-256
                    Path placed = directory.path().resolve(PrefetchDirectory.decodedName(fileName, header.get().sha256Hex()));
                    CRC32C crc = new CRC32C();
                    view.place(stored, raw, "object " + stored.key(), true, placed, crc);
                    placedHere.put(placed, crc.getValue());
                    return Download.STORED;
                }
                // sealed, as stored (decoded when taken). No fsync: after a crash a torn file fails
                // to unseal when taken, and the segment is fetched from storage; the take syncs
                // what it places
                try (InputStream kept = sealing.sealing(raw, sealedName(directory, fileName));
                     OutputStream out = java.nio.channels.Channels.newOutputStream(
                        OwnerOnly.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
                    kept.transferTo(out);
                }
                directory.commit(temp, fileName);
                return Download.STORED;
            } catch (NoSuchObjectException e) {
                return Download.NOT_IN_ARCHIVE; // deleted while being read
            } finally {
                if (temp != null) {
                    Files.deleteIfExists(temp);
                }
            }
        });
    }

    /** The name a prefetched file is sealed under: binds it to its repository's directory and its name. */
    private static String sealedName(PrefetchDirectory directory, String fileName) {
        return "prefetch/" + directory.path().getFileName() + "/" + fileName;
    }

    /**
     * The worker process's work: while it holds the directory's lock, downloads what the latest
     * fetch wants and is not there yet, each segment at most once; exits when nothing new was wanted
     * for {@link #WORKER_LINGER}, or after {@link #WORKER_LIFETIME}. Returns at once when another
     * worker holds the lock.
     */
    public void work(PrefetchDirectory directory) throws IOException {
        work(directory, WORKER_LIFETIME, WORKER_LINGER);
    }

    void work(PrefetchDirectory directory, Duration lifetime, Duration linger) throws IOException {
        if (!enabled() || pool == null) {
            return;
        }
        Instant end = clock.instant().plus(lifetime);
        Set<SegmentFileName> attempted = new HashSet<>();
        directory.create();
        try (WatchService watch = directory.path().getFileSystem().newWatchService()) {
            directory.path().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            // Re-checking after the lock is released closes the race with a fetch that wrote its
            // wanted list while this worker was about to stop, and found the lock still held.
            while (clock.instant().isBefore(end) && !pending(directory, attempted).isEmpty()) {
                Optional<FileChannel> lock = directory.tryLock();
                if (lock.isEmpty()) {
                    return;
                }
                try (FileChannel held = lock.get()) {
                    serve(directory, attempted, watch, end, linger);
                }
            }
        } catch (ClosedWatchServiceException e) {
            // closing down
        }
    }

    private void serve(PrefetchDirectory directory, Set<SegmentFileName> attempted, WatchService watch, Instant end,
                       Duration linger) throws IOException {
        Instant idleSince = clock.instant();
        while (clock.instant().isBefore(end)) {
            List<SegmentFileName> pending = pending(directory, attempted);
            if (!pending.isEmpty()) {
                attempted.addAll(pending);
                schedule(directory, pending);
            }
            if (running.get() > 0 || !pending.isEmpty()) {
                idleSince = clock.instant();
            } else if (!clock.instant().isBefore(idleSince.plus(linger))) {
                return;
            }
            try {
                var key = watch.poll(200, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static List<SegmentFileName> pending(PrefetchDirectory directory, Set<SegmentFileName> attempted)
            throws IOException {
        List<SegmentFileName> pending = new ArrayList<>(directory.absent(directory.wanted()));
        pending.removeAll(attempted);
        return pending;
    }

    /** How many prefetched files this process took after hashing them in full (not placed here, or changed since). */
    long takesHashedInFull() {
        return takesHashedInFull.get();
    }

    private synchronized void finished() {
        running.decrementAndGet();
        notifyAll();
    }

    /** Waits up to {@code limit} for the background downloads under way; true when none is left. */
    public synchronized boolean awaitIdle(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (running.get() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
