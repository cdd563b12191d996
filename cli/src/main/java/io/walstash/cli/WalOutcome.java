package io.walstash.cli;

import io.walstash.core.archive.FetchResult;
import io.walstash.core.archive.WalRequests;
import io.walstash.core.postgres.RecoveryMode;
import io.walstash.core.spool.PushResult;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a push or fetch result means to PostgreSQL and the operator: the exit code and the line
 * printed on stderr. One place, so that the command line alone and the daemon answer alike.
 *
 * @param message the line to print, without the trailing newline
 * @param problem what went wrong, for a notification (the error line without its prefix), if anything did
 */
public record WalOutcome(int exitCode, String message, Optional<String> problem) {
    private static final String ERROR = "walstash: error: ";

    /** An answer that is no failure an operator must hear about. */
    WalOutcome(int exitCode, String message) {
        this(exitCode, message, Optional.empty());
    }

    /** A failure: the line is {@code problem} as an error line. */
    static WalOutcome error(int exitCode, String problem) {
        return new WalOutcome(exitCode, ERROR + problem, Optional.of(problem));
    }

    /** Pushes {@code file}; {@code startedNanos} is when the caller started, for the reported duration. */
    public static WalOutcome push(WalRequests wal, Path file, long startedNanos) throws IOException {
        PushResult result = wal.push(file);
        return of(result, (System.nanoTime() - startedNanos) / 1_000_000);
    }

    /**
     * Fetches {@code name} to {@code destination}. Never throws: a failure is answered as the
     * command line reports it, except during archive recovery, where every answer but "not in the
     * archive" and success stops the recovery ({@link #fetchFailure}).
     */
    public static WalOutcome fetch(WalRequests wal, String name, Path destination) {
        try {
            return of(wal.fetch(name, destination), name, wal.location());
        } catch (Exception e) {
            return fetchFailure(e, name, destination, wal.location().toString());
        }
    }

    /**
     * A wal-fetch of {@code name} to {@code destination} that failed with {@code failure}. In archive
     * recovery PostgreSQL takes any ordinary failure as the end of the archive, promotes, and forks
     * a new timeline at the wrong point; so there the answer is {@link ExitCode#RECOVERY_STOPPED},
     * which stops the server instead. A standby retries by itself: it gets the ordinary code.
     *
     * @param repository names the repository in the message (its location, never a credential)
     */
    static WalOutcome fetchFailure(Throwable failure, String name, Path destination, String repository) {
        WalOutcome ordinary = failure(failure);
        if (RecoveryMode.of(destination) != RecoveryMode.ARCHIVE_RECOVERY) {
            return ordinary;
        }
        return error(ExitCode.RECOVERY_STOPPED.code(), "recovery stopped: cannot fetch "
                + name + " from " + repository + " (" + Failures.describe(failure) + "); the repository did not say"
                + " it is absent, so recovery must not end here: fix the cause, then start PostgreSQL again to resume");
    }

    /** A request that failed with {@code failure}: the line and code the command line prints for it. */
    public static WalOutcome failure(Throwable failure) {
        return error(Failures.exitCodeOf(failure).code(), Failures.describe(failure));
    }

    static WalOutcome of(PushResult result, long millis) {
        if (result instanceof PushResult.Archived archived) {
            // concatenated, not String.format: a one-shot push would load the JDK's locale data for it (~10 ms)
            return new WalOutcome(ExitCode.OK.code(), "walstash: archived " + archived.key() + " (" + archived.plainBytes()
                    + " bytes, " + archived.storedBytes() + " stored) in " + millis + " ms");
        }
        if (result instanceof PushResult.AlreadyArchived already) {
            return new WalOutcome(ExitCode.OK.code(),
                    "walstash: " + already.key() + " is already archived with identical content");
        }
        if (result instanceof PushResult.Spooled spooled) {
            // exit 0: the file is durable on local disk and PostgreSQL may recycle it; the drain
            // takes it to storage once storage answers again
            return new WalOutcome(ExitCode.OK.code(), "walstash: warning: storage unavailable (" + spooled.reason()
                    + "); " + spooled.name() + " spooled to " + spooled.spoolPath() + ", to be drained to storage later");
        }
        PushResult.Conflict conflict = (PushResult.Conflict) result;
        return error(ExitCode.CONFLICT.code(), conflict.key()
                + " is already archived with DIFFERENT content; refusing to overwrite (" + conflict.detail() + ")");
    }

    static WalOutcome of(FetchResult result, String name, URI location) {
        if (result instanceof FetchResult.NotFound) {
            return new WalOutcome(ExitCode.NOT_FOUND.code(), "walstash: " + name + " is not in the archive " + location);
        }
        FetchResult.Fetched fetched = (FetchResult.Fetched) result;
        if (!fetched.verified()) {
            return new WalOutcome(ExitCode.OK.code(), "walstash: warning: " + fetched.key()
                    + " has no walstash checksum (written by WAL-G?); placed unverified");
        }
        if (fetched.prefetched()) {
            return new WalOutcome(ExitCode.OK.code(), "walstash: " + name + " from prefetch");
        }
        return new WalOutcome(ExitCode.OK.code(), "");
    }
}
