package io.walstash.cli;

import io.walstash.core.archive.FetchResult;
import io.walstash.core.archive.PushResult;
import java.net.URI;

/**
 * What a push or fetch result means to PostgreSQL and the operator: the exit code and the line
 * printed on stderr. One place, so that the command line alone and the daemon answer alike.
 *
 * @param message the line to print, without the trailing newline
 */
record WalOutcome(int exitCode, String message) {

    static WalOutcome of(PushResult result, long millis) {
        if (result instanceof PushResult.Archived archived) {
            return new WalOutcome(ExitCode.OK.code(), String.format("walstash: archived %s (%d bytes, %d stored) in %d ms",
                    archived.key(), archived.plainBytes(), archived.storedBytes(), millis));
        }
        if (result instanceof PushResult.AlreadyArchived already) {
            return new WalOutcome(ExitCode.OK.code(),
                    "walstash: " + already.key() + " is already archived with identical content");
        }
        PushResult.Conflict conflict = (PushResult.Conflict) result;
        return new WalOutcome(ExitCode.CONFLICT.code(), "walstash: error: " + conflict.key()
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
