package io.walstash.core.archive;

import io.walstash.core.config.Configuration;
import io.walstash.core.config.SettingValues;
import io.walstash.core.config.Settings;
import io.walstash.core.spool.Spool;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The one place that decides how a push or fetch is served: which repository, codec and
 * (as they are added) look-ahead, spool, prefetch and retries. The CLI and the daemon both open it.
 */
public final class WalService implements WalRequests {
    public static final String UPLOAD_CONCURRENCY = "WALSTASH_UPLOAD_CONCURRENCY";
    public static final String LOOKAHEAD = "WALSTASH_LOOKAHEAD";
    public static final int DEFAULT_UPLOAD_CONCURRENCY = 4;
    public static final int DEFAULT_LOOKAHEAD = 32;

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
                throw new IllegalArgumentException(UPLOAD_CONCURRENCY + " must be at least 1, not " + concurrency);
            }
        }

        /** From the settings: {@code WALSTASH_UPLOAD_CONCURRENCY}, {@code WALSTASH_LOOKAHEAD}, retries, spool. */
        public static PushOptions from(Settings settings) {
            return new PushOptions(SettingValues.count(settings, UPLOAD_CONCURRENCY, DEFAULT_UPLOAD_CONCURRENCY),
                    SettingValues.count(settings, LOOKAHEAD, DEFAULT_LOOKAHEAD), RetryPolicy.from(settings),
                    Spool.from(settings));
        }
    }

    private final WalArchive archive;
    private final Mode mode;
    private final PushOptions push;
    /** Every storage request of a push goes through this; fetches may use it too ({@link RetryPolicy#call}). */
    private final RetryPolicy retry;
    private final Consumer<String> warnings;
    private final LookAhead lookAhead;

    WalService(WalArchive archive, Mode mode, PushOptions push, Consumer<String> warnings) {
        this.archive = archive;
        this.mode = mode;
        this.push = push;
        this.retry = push.retry();
        this.warnings = warnings;
        this.lookAhead = new LookAhead(this::pushWithRetries, archive.storage().location().toString(),
                push.lookAhead(), push.concurrency(), warnings);
    }

    /** Opens the service; warnings (a spooled file in conflict, a failed look-ahead upload) go to stderr. */
    public static WalService open(Configuration configuration, String writer, Mode mode) throws IOException {
        return open(configuration, writer, mode, line -> System.err.println("walstash: warning: " + line));
    }

    /** As above, with the sink for warnings that do not change a request's result. */
    public static WalService open(Configuration configuration, String writer, Mode mode, Consumer<String> warnings)
            throws IOException {
        PushOptions options = PushOptions.from(configuration.settings());
        return new WalService(WalArchive.open(configuration, writer), mode, options, warnings);
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
            PushResult result = pushWithRetries(file, header -> { });
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
     * Drains the spool to storage, oldest first; a conflict or failure is reported as a warning
     * and leaves the files in the spool. The daemon calls this periodically; every push calls it first.
     */
    public Spool.Drain drainSpool() throws IOException {
        if (push.spool().isEmpty()) {
            return new Spool.Drain(List.of(), Optional.empty(), Optional.empty(), false, 0);
        }
        Spool spool = push.spool().get();
        Spool.Drain drain = spool.drain(spooled -> pushWithRetries(spooled, header -> { }));
        drain.conflict().ifPresent(conflict -> warnings.accept("spooled " + conflict.key().substring(
                conflict.key().lastIndexOf('/') + 1) + " is already archived with DIFFERENT content; kept in "
                + spool.directory() + ", draining stopped with " + drain.left() + " file(s) waiting ("
                + conflict.detail() + ")"));
        drain.failure().ifPresent(failure -> warnings.accept("spool " + spool.directory() + " not drained, "
                + drain.left() + " file(s) waiting: " + failure.getMessage()));
        return drain;
    }

    private PushResult spool(Path file, IOException cause) throws IOException {
        Path spooled = push.spool().orElseThrow().store(file, cause);
        String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst().orElse("");
        return new PushResult.Spooled(String.valueOf(file.getFileName()), spooled, reason);
    }

    private PushResult pushWithRetries(Path file, Consumer<ObjectHeader> inspected) throws IOException {
        return retry.call("push " + file.getFileName(),
                abandon -> archive.push(file, abandon::register, inspected));
    }

    @Override
    public FetchResult fetch(String name, Path destination) throws IOException {
        return archive.fetch(name, destination);
    }

    @Override
    public URI location() {
        return archive.storage().location();
    }

    @Override
    public void close() throws IOException {
        lookAhead.close();
        archive.close();
    }
}
