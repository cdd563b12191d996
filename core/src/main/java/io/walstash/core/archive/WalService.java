package io.walstash.core.archive;

import io.walstash.core.config.Configuration;
import io.walstash.core.config.Settings;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides how a push or fetch is served: which repository, codec and
 * (as they are added) look-ahead, spool, prefetch and retries. The CLI and the daemon both open it.
 */
public final class WalService implements WalRequests {

    /** How long the process serving requests lives: it decides what may run in the background. */
    public enum Mode {
        /** One request per process (archive_command calling the CLI): nothing may outlive the call. */
        ONE_SHOT,
        /** A long-running daemon: background work may continue between requests. */
        DAEMON
    }

    private static final Logger LOG = LoggerFactory.getLogger(WalService.class);

    private final WalArchive archive;
    private final Mode mode;
    private final FetchRetry fetchRetry;
    private final WalPrefetch prefetch;

    private final Consumer<String> warnings;

    private WalService(WalArchive archive, Mode mode, FetchRetry fetchRetry, WalPrefetch prefetch,
                       Consumer<String> warnings) {
        this.archive = archive;
        this.mode = mode;
        this.fetchRetry = fetchRetry;
        this.prefetch = prefetch;
        this.warnings = warnings;
    }

    /** As {@link #open(Configuration, String, Mode, Consumer)}, with warnings logged. */
    public static WalService open(Configuration configuration, String writer, Mode mode) throws IOException {
        return open(configuration, writer, mode, LOG::warn);
    }

    /**
     * @param warnings receives one line ("walstash: warning: …") for what went wrong without failing
     *                 the request (a damaged prefetched file, prefetch that could not start)
     */
    public static WalService open(Configuration configuration, String writer, Mode mode, Consumer<String> warnings)
            throws IOException {
        WalArchive archive = WalArchive.openOnFirstUse(configuration, writer);
        // a prefetch worker process must find the same repository, however this process was told it
        Map<String, String> workerEnvironment = new HashMap<>();
        workerEnvironment.put(Configuration.STORAGE, configuration.storage().uri().toString());
        configuration.settings().get(Configuration.CONFIG_FILE)
                .ifPresent(file -> workerEnvironment.put(Configuration.CONFIG_FILE, file));
        return over(archive, mode, configuration.settings(), workerEnvironment, warnings);
    }

    /** As below, with warnings logged. */
    public static WalService over(WalArchive archive, Mode mode, Settings settings, Map<String, String> workerEnvironment) {
        return over(archive, mode, settings, workerEnvironment, LOG::warn);
    }

    /**
     * Serves requests with {@code archive}, which the service then owns. In {@link Mode#DAEMON} prefetch
     * runs on this process's threads; in {@link Mode#ONE_SHOT} it starts the worker process through
     * the launcher that {@link WalPrefetch#LAUNCHER} names, passing it {@code workerEnvironment}, and
     * is off when no launcher is named.
     */
    public static WalService over(WalArchive archive, Mode mode, Settings settings, Map<String, String> workerEnvironment,
                                  Consumer<String> warnings) {
        FetchRetry retry = FetchRetry.configured(archive.storage(), settings);
        int concurrency = WalPrefetch.concurrency(settings);
        WalPrefetch.Background background;
        if (mode == Mode.DAEMON) {
            background = new WalPrefetch.InProcess();
        } else {
            Optional<String> launcher = settings.get(WalPrefetch.LAUNCHER);
            background = new WalPrefetch.Detached(Path.of(launcher.orElse("walstash")), workerEnvironment);
            if (launcher.isEmpty()) {
                concurrency = 0;
            }
        }
        return new WalService(archive, mode, retry,
                new WalPrefetch(archive, retry, concurrency, background, Clock.systemUTC(), warnings), warnings);
    }

    /**
     * The body of the prefetch worker process ({@code walstash wal-prefetch --dir ROOT}): fills the
     * prefetch directory of this service's repository under {@code root} while fetches want segments.
     */
    public static void runPrefetchWorker(Configuration configuration, String writer, Path root) throws IOException {
        // opened like the fetch that started it, so that both name the repository (and its folder) alike
        try (WalArchive archive = WalArchive.openOnFirstUse(configuration, writer);
             FetchRetry retry = FetchRetry.configured(archive.storage(), configuration.settings());
             WalPrefetch prefetch = new WalPrefetch(archive, retry, WalPrefetch.concurrency(configuration.settings()),
                     new WalPrefetch.InProcess(), Clock.systemUTC())) {
            prefetch.work(PrefetchDirectory.under(root, archive.storage().location(), Clock.systemUTC()));
        }
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public PushResult push(Path file) throws IOException {
        return archive.push(file);
    }

    /**
     * Fetches from the prefetch directory when the segment waits there intact, otherwise from storage
     * (retrying transient failures, each try time-limited); after a segment was found, prefetches the
     * ones after it.
     */
    @Override
    public FetchResult fetch(String name, Path destination) throws IOException {
        WalFileName walName = WalFileName.parse(name);
        if (!(walName instanceof SegmentFileName segment) || !prefetch.enabled()) {
            return fetchFromStorage(name, destination);
        }
        PrefetchDirectory directory = prefetch.directoryBeside(destination);
        Optional<FetchResult.Fetched> taken = prefetch.take(directory, segment, destination);
        FetchResult result = taken.isPresent() ? taken.get() : fetchFromStorage(name, destination);
        if (result instanceof FetchResult.Fetched fetched) {
            try {
                prefetch.after(directory, segment, fetched.plainBytes());
            } catch (IOException | RuntimeException e) {
                // prefetch only saves time: the segment is in place, the next fetch goes to storage
                warnings.accept("walstash: warning: cannot prefetch after " + name + " into " + directory + ": " + e);
            }
        }
        return result;
    }

    private FetchResult fetchFromStorage(String name, Path destination) throws IOException {
        return fetchRetry.call(name, storage -> archive.withStorage(storage).fetch(name, destination));
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
        try (WalArchive owned = archive; FetchRetry retry = fetchRetry) {
            prefetch.close();
        }
    }
}
