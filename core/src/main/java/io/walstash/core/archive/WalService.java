package io.walstash.core.archive;

import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.spool.LocalSealing;
import io.walstash.core.postgres.RecoveryMode;
import io.walstash.core.spool.PushResult;
import io.walstash.core.spool.Spool;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The one place that decides how a push or fetch is served: which repository, codec and
 * (as they are added) look-ahead, spool, prefetch and retries. The CLI and the daemon both open it.
 */
public final class WalService implements WalRequests {
    public static final int DEFAULT_UPLOAD_CONCURRENCY = CoreSettings.UPLOAD_CONCURRENCY.defaultValue();
    public static final int DEFAULT_LOOKAHEAD = CoreSettings.LOOKAHEAD.defaultValue();

    /** How long the process serving requests lives: it decides what may run in the background. */
    public enum Mode {
        /** One request per process (archive_command calling the CLI): nothing may outlive the call. */
        ONE_SHOT,
        /** A long-running daemon: background work may continue between requests. */
        DAEMON
    }

    /**
     * How pushes are served.
     *
     * @param concurrency uploads at once, the push itself and its look-ahead together
     * @param lookAhead   the most ready successors one push uploads; 0 turns look-ahead off
     * @param spool       where files go when storage is unreachable, if anywhere
     */
    public record PushOptions(int concurrency, int lookAhead, RetryPolicy retry, Optional<Spool> spool) {
        public PushOptions {
            if (concurrency < 1) {
                throw new IllegalArgumentException(CoreSettings.UPLOAD_CONCURRENCY.name() + " must be at least 1, not " + concurrency);
            }
        }

        /** From the settings: {@code WALSTASH_UPLOAD_CONCURRENCY}, {@code WALSTASH_LOOKAHEAD}, retries, spool. */
        public static PushOptions from(Settings settings) {
            return new PushOptions(CoreSettings.UPLOAD_CONCURRENCY.get(settings),
                    CoreSettings.LOOKAHEAD.get(settings), RetryPolicy.from(settings),
                    Spool.from(settings));
        }
    }

    private final WalArchive archive;
    private final Mode mode;
    private final PushOptions push;
    /** The policy of the storage's retry layer: how long a push may take at worst. */
    private final RetryPolicy retry;
    private final LookAhead lookAhead;
    private final FetchRetry fetchRetry;
    private final WalPrefetch prefetch;
    /** Receives whole lines ("walstash: warning: …") for what went wrong without failing a request. */
    private final Consumer<String> warnings;

    private WalService(WalArchive archive, Mode mode, PushOptions push, FetchRetry fetchRetry, WalPrefetch prefetch,
                       Consumer<String> warnings) {
        // every storage call of a push runs under the one retry layer (already there when the archive
        // was opened from a configuration; tests hand in bare storage and a policy)
        this.archive = archive.storage() instanceof RetryingStorage ? archive
                : archive.withStorage(RetryingStorage.wrap(archive.storage(), push.retry()));
        this.mode = mode;
        this.push = push;
        this.retry = push.retry();
        this.warnings = warnings;
        // Look-ahead uploads exist only when PostgreSQL has more segments ready than the one it asked
        // for, that is when WAL is piling up: they compress with the codec's faster setting, so that
        // the archiver's CPU (which a bulk load competes for) goes further. An archive opened from a
        // configuration writes all WAL with it already (WalArchive.open); one given a codec
        // directly keeps that codec for PostgreSQL's own call.
        WalArchive backlog = this.archive.writingFaster();
        this.lookAhead = new LookAhead((file, inspected) -> backlog.push(file, opened -> { }, inspected),
                archive.storage().location().toString(), push.lookAhead(), push.concurrency(), warnings);
        this.fetchRetry = fetchRetry;
        this.prefetch = prefetch;
    }

    /** For tests of the push path: pushes as {@code push} says, fetches without prefetch. */
    WalService(WalArchive archive, Mode mode, PushOptions push, Consumer<String> warnings) {
        this(archive, mode, push, FetchRetry.configured(archive.storage(), Settings.empty()), warnings);
    }

    private WalService(WalArchive archive, Mode mode, PushOptions push, FetchRetry fetchRetry, Consumer<String> warnings) {
        this(archive, mode, push, fetchRetry,
                new WalPrefetch(archive, fetchRetry, 0, new WalPrefetch.InProcess(), Clock.systemUTC(), warnings), warnings);
    }

    /** As {@link #open(Configuration, String, Mode, Consumer)}, with warnings on stderr. */
    public static WalService open(Configuration configuration, String writer, Mode mode) throws IOException {
        return open(configuration, writer, mode, System.err::println);
    }

    /**
     * @param warnings receives one line ("walstash: warning: …") for what went wrong without failing
     *                 the request (a damaged prefetched file, a spooled file in conflict, a failed
     *                 look-ahead upload)
     */
    public static WalService open(Configuration configuration, String writer, Mode mode, Consumer<String> warnings)
            throws IOException {
        return open(configuration, writer, mode, Optional.empty(), warnings);
    }

    /**
     * As {@link #open(Configuration, String, Mode, Consumer)}; a one-shot fetch prefetches through the
     * worker process {@code worker} words (without one it does not prefetch).
     */
    public static WalService open(Configuration configuration, String writer, Mode mode,
                                  Optional<WalPrefetch.WorkerCommand> worker, Consumer<String> warnings) throws IOException {
        WalArchive archive = WalArchive.openOnFirstUse(configuration, writer);
        // a prefetch worker process must find the same repository, however this process was told it
        Map<String, String> workerEnvironment = new HashMap<>();
        workerEnvironment.put(CoreSettings.STORAGE.name(), StorageLocation.configured(configuration).uri().toString());
        CoreSettings.CONFIG_FILE.find(configuration.settings())
                .ifPresent(file -> workerEnvironment.put(CoreSettings.CONFIG_FILE.name(), file));
        // the master key (which seals prefetched files) reaches it as it reached this process: from the
        // environment it inherits or the configuration file just named; never on its command line
        return over(archive, mode, configuration.settings(), worker, workerEnvironment, warnings);
    }

    /** As below, with warnings on stderr. */
    public static WalService over(WalArchive archive, Mode mode, Settings settings, Map<String, String> workerEnvironment) {
        return over(archive, mode, settings, Optional.empty(), workerEnvironment, System.err::println);
    }

    /** As below, with no worker process: a one-shot fetch does not prefetch. */
    public static WalService over(WalArchive archive, Mode mode, Settings settings, Map<String, String> workerEnvironment,
                                  Consumer<String> warnings) {
        return over(archive, mode, settings, Optional.empty(), workerEnvironment, warnings);
    }

    /**
     * Serves requests with {@code archive}, which the service then owns. In {@link Mode#DAEMON} prefetch
     * runs on this process's threads; in {@link Mode#ONE_SHOT} it starts the worker process {@code worker}
     * words, through the launcher that {@code WALSTASH_LAUNCHER} names, passing it
     * {@code workerEnvironment}, and is off when no launcher is named or no worker given.
     */
    public static WalService over(WalArchive archive, Mode mode, Settings settings,
                                  Optional<WalPrefetch.WorkerCommand> worker, Map<String, String> workerEnvironment,
                                  Consumer<String> warnings) {
        PushOptions push = PushOptions.from(settings);
        FetchRetry retry = FetchRetry.configured(archive.storage(), settings, warnings);
        int concurrency = WalPrefetch.concurrency(settings);
        WalPrefetch.Background background;
        if (mode == Mode.DAEMON) {
            background = new WalPrefetch.InProcess();
        } else {
            Optional<String> launcher = CoreSettings.LAUNCHER.find(settings);
            background = new WalPrefetch.Detached(Path.of(launcher.orElse("walstash")),
                    worker.orElse((unused, root) -> List.of()), workerEnvironment);
            if (launcher.isEmpty() || worker.isEmpty()) {
                concurrency = 0;
            }
        }
        return new WalService(archive, mode, push, retry, new WalPrefetch(archive, retry, concurrency, background,
                Clock.systemUTC(), warnings, LocalSealing.configured(settings)), warnings);
    }

    /**
     * The body of the prefetch worker process ({@link WalPrefetch.WorkerCommand}): fills the
     * prefetch directory of this service's repository under {@code root} while fetches want segments.
     */
    public static void runPrefetchWorker(Configuration configuration, String writer, Path root) throws IOException {
        // opened like the fetch that started it, so that both name the repository (and its folder) alike
        try (WalArchive archive = WalArchive.openOnFirstUse(configuration, writer);
             FetchRetry retry = FetchRetry.configured(archive.storage(), configuration.settings());
             WalPrefetch prefetch = new WalPrefetch(archive, retry, WalPrefetch.concurrency(configuration.settings()),
                     new WalPrefetch.InProcess(), Clock.systemUTC(), System.err::println,
                     LocalSealing.configured(configuration.settings()))) {
            prefetch.work(PrefetchDirectory.under(root, archive.storage().location(), Clock.systemUTC()));
        }
    }

    public Mode mode() {
        return mode;
    }

    /**
     * Archives {@code file}: drains the spool first (if one is set), uploads the ready successors
     * alongside (look-ahead), retries transient storage failures, and spools the file when storage
     * stays unreachable. In {@link Mode#ONE_SHOT} the look-ahead uploads it started are waited for
     * (bounded) before it returns.
     */
    @Override
    public PushResult push(Path file) throws IOException {
        WalFileName.parse(String.valueOf(file.getFileName()));
        Optional<PushResult> known = lookAhead.known(file, retry.worstCase());
        if (known.isPresent()) {
            return known.get();
        }
        Optional<Spool.Drain> drain = push.spool().isPresent() ? Optional.of(drainSpool()) : Optional.empty();
        if (drain.isPresent() && drain.get().storageUnavailable()) {
            // storage did not answer a moment ago: don't make PostgreSQL wait through the retries again
            return spool(file, drain.get().failure().get());
        }
        List<CompletableFuture<PushResult>> started = lookAhead.start(file);
        boolean failed = true;
        try {
            PushResult result = pushOnce(file, header -> { });
            failed = false;
            return result;
        } catch (IOException e) {
            if (push.spool().isPresent() && RetryPolicy.isTransient(e)) {
                return spool(file, e);
            }
            throw e;
        } finally {
            if (failed) {
                started.forEach(f -> f.cancel(true));
            } else if (mode == Mode.ONE_SHOT) {
                LookAhead.await(started, retry.worstCase());
            }
        }
    }

    /**
     * Opens storage and reads the repository's marker, as a first push or fetch would. A daemon
     * calls this as it starts, so that the storage client's start (seconds for a cloud SDK in a fresh
     * JVM) and the first connection overlap the daemon's own start and the call waiting for it,
     * rather than fall on the first request of a recovery. Storage that fails here is opened again
     * by the next request (nothing is kept of a failed open).
     */
    public void warmUp() throws IOException {
        archive.readMarker();
    }

    /**
     * Drains the spool to storage, oldest first; a conflict or failure is reported as a warning
     * and leaves the files in the spool. The daemon calls this periodically; every push calls it first.
     */
    public Spool.Drain drainSpool() throws IOException {
        if (push.spool().isEmpty()) {
            return new Spool.Drain(List.of(), Optional.empty(), Optional.empty(), false, 0);
        }
        Spool spool = push.spool().get();
        // a sealed spooled file is pushed from its unsealed bytes: nothing is uploaded before all of it authenticated
        Spool.Drain drain = spool.drain((spooled, unsealed) -> unsealed.isPresent()
                ? archive.push(spooled, unsealed.get()) : pushOnce(spooled, header -> { }));
        drain.conflict().ifPresent(conflict -> warnings.accept("walstash: warning: spooled " + conflict.key().substring(
                conflict.key().lastIndexOf('/') + 1) + " is already archived with DIFFERENT content; kept in "
                + spool.directory() + ", draining stopped with " + drain.left() + " file(s) waiting ("
                + conflict.detail() + ")"));
        drain.failure().ifPresent(failure -> warnings.accept("walstash: warning: spool " + spool.directory() + " not drained, "
                + drain.left() + " file(s) waiting: " + failure.getMessage()));
        return drain;
    }

    private PushResult spool(Path file, IOException cause) throws IOException {
        Path spooled = push.spool().orElseThrow().store(file, cause);
        String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst().orElse("");
        return new PushResult.Spooled(String.valueOf(file.getFileName()), spooled, reason);
    }

    /** One push; its storage calls are retried (and time-limited) by the storage's retry layer. */
    private PushResult pushOnce(Path file, Consumer<ObjectHeader> inspected) throws IOException {
        return archive.push(file, opened -> { }, inspected);
    }

    /**
     * Fetches from the prefetch directory when the segment waits there intact, otherwise from storage
     * (retrying transient failures, each try time-limited); after a segment was found, prefetches the
     * ones after it.
     */
    @Override
    public FetchResult fetch(String name, Path destination) throws IOException {
        WalFileName walName = WalFileName.parse(name);
        // in archive recovery a failure stops the recovery: worth waiting out a short outage first
        boolean waitOutOutage = RecoveryMode.of(destination) == RecoveryMode.ARCHIVE_RECOVERY;
        if (!(walName instanceof SegmentFileName segment) || !prefetch.enabled()) {
            return fetchFromStorage(name, destination, waitOutOutage);
        }
        PrefetchDirectory directory = prefetch.directoryBeside(destination);
        Optional<FetchResult.Fetched> taken = prefetch.take(directory, segment, destination);
        FetchResult result = taken.isPresent() ? taken.get() : fetchFromStorage(name, destination, waitOutOutage);
        if (result instanceof FetchResult.Fetched fetched) {
            try {
                prefetch.after(directory, segment, fetched.plainBytes());
            } catch (IOException | RuntimeException e) {
                // prefetch only saves time: the segment is in place, the next fetch goes to storage
                warnings.accept("walstash: warning: cannot prefetch after " + name + " into " + directory + ": " + e);
            }
        } else if (result instanceof FetchResult.NotFound) {
            // the end of the archive, after which no fetch may come to clean up: a prefetch worker
            // killed mid-download must not leave its temporary file for good
            directory.removeAbandonedTemporaries();
        }
        return result;
    }

    private FetchResult fetchFromStorage(String name, Path destination, boolean waitOutOutage) throws IOException {
        FetchRetry.Attempt<FetchResult> attempt = storage -> {
            WalArchive view = archive.withStorage(storage);
            FetchResult result = view.fetch(name, destination);
            if (waitOutOutage && result instanceof FetchResult.NotFound) {
                // "not in the archive" ends archive recovery: only a repository that exists can say it
                view.requireRepository();
            }
            return result;
        };
        return waitOutOutage ? fetchRetry.callWaitingOutOutage(name, attempt) : fetchRetry.call(name, attempt);
    }

    /** Waits up to {@code limit} for background prefetch downloads of this process; true when none is left. */
    public boolean awaitPrefetch(java.time.Duration limit) throws InterruptedException {
        return prefetch.awaitIdle(limit);
    }

    @Override
    public URI location() {
        return archive.storage().location();
    }

    @Override
    public void close() throws IOException {
        try (WalArchive owned = archive; FetchRetry fetches = fetchRetry) {
            lookAhead.close();
            prefetch.close();
        }
    }
}
