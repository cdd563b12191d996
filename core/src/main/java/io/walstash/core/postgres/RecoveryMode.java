package io.walstash.core.postgres;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a restore_command call serves, read from the data directory the way PostgreSQL decides it:
 * {@code standby.signal} wins over {@code recovery.signal} (PostgreSQL's documented rule). The data
 * directory is the parent of the folder holding the destination: PostgreSQL passes
 * {@code pg_wal/RECOVERYXLOG} as {@code %p}, relative to the data directory it runs the command in.
 *
 * <p>It matters because PostgreSQL reads every ordinary failure of restore_command as "not in the
 * archive": in archive recovery that ends recovery early and promotes at the wrong point, while a
 * standby simply asks again later (and can stream meanwhile).
 */
public enum RecoveryMode {
    /** {@code recovery.signal}: a failure that is not a verified absence must stop the recovery. */
    ARCHIVE_RECOVERY,
    /** {@code standby.signal}: PostgreSQL retries, so an ordinary failure is the right answer. */
    STANDBY,
    /** No signal file beside the destination: a call by hand or by a script; ordinary exit codes. */
    NONE;

    /** The mode of the data directory that holds the folder {@code destination} is in. */
    public static RecoveryMode of(Path destination) {
        Path folder = destination.toAbsolutePath().normalize().getParent();
        Path dataDirectory = folder == null ? null : folder.getParent();
        if (dataDirectory == null) {
            return NONE;
        }
        if (Files.exists(dataDirectory.resolve("standby.signal"))) {
            return STANDBY;
        }
        if (Files.exists(dataDirectory.resolve("recovery.signal"))) {
            return ARCHIVE_RECOVERY;
        }
        return NONE;
    }
}
