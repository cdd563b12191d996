package io.walstash.cli;

import io.walstash.core.backup.ArchivingOffException;
import io.walstash.core.backup.RestoreInputException;
import io.walstash.core.backup.RestoreTargetNotEmptyException;
import io.walstash.core.backup.UnmappedTablespaceException;
import io.walstash.core.config.NoStorageConfiguredException;
import java.util.Optional;

/**
 * Words core's failures that name an input by its role in this command line's terms: the flag that
 * gives it. Core names no flag; this is where a message suggests one.
 */
final class Flags {
    private Flags() {
    }

    /** The one-line message for {@code failure} when it names an input a flag gives; else empty. */
    static Optional<String> word(Throwable failure) {
        if (failure instanceof RestoreInputException e) {
            return Optional.of(flag(e.input()) + " " + e.detail());
        }
        if (failure instanceof UnmappedTablespaceException e) {
            return Optional.of(e.problem() + ": restore it with --tablespace-map " + e.oid()
                    + "=DIR, or pass --tablespaces-from-manifest to use the location the repository names");
        }
        if (failure instanceof RestoreTargetNotEmptyException e) {
            return Optional.of(e.getFile() + ": " + (e.onlyManifestNamesIt()
                    ? "the " + e.what() + " the backup's manifest names is not empty; walstash never empties a directory"
                            + " only the repository names (not even with --force): choose one with --tablespace-map OID=DIR"
                    : "the " + e.what() + " is not empty; pass --force to replace its contents"));
        }
        if (failure instanceof ArchivingOffException e) {
            return Optional.of(ArchivingOffException.problem(e.archiveMode())
                    + "; set archive_mode = on and archive_command = 'walstash wal-push %p'");
        }
        if (failure instanceof NoStorageConfiguredException e) {
            return Optional.of("no storage configured: pass --storage or " + e.howToSet());
        }
        return Optional.empty();
    }

    private static String flag(RestoreInputException.Input input) {
        return switch (input) {
            case TARGET_ACTION -> "--target-action";
            case TARGET_TIMELINE -> "--target-timeline";
            case TARGET_XID -> "--target-xid";
            case TARGET_TIME -> "--target-time";
            case TABLESPACE_MAP -> "--tablespace-map";
        };
    }
}
