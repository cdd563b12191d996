package io.walstash.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every exit code walstash uses. All are within 0..125 but one: PostgreSQL treats a restore_command
 * exit above 125 (or a signal) as fatal and stops recovery instead of ending the archive, which is
 * exactly what {@link #RECOVERY_STOPPED} asks for, and only it.
 */
public enum ExitCode {
    OK(0, "success"),
    FAILURE(1, "unexpected internal error (a bug: please report it with WALSTASH_LOG_LEVEL=debug output)"),
    USAGE(2, "invalid command line"),
    INVALID_INPUT(3, "invalid input or configuration: malformed WAL name, unknown codec or storage scheme, bad URI or setting; the encryption key is missing (an encrypted repository) or wrong; a PostgreSQL major version outside 13 to 17"),
    CONFLICT(4, "the WAL file is already archived with different content; nothing was overwritten (wal-push; wal-receive for a streamed segment)"),
    FOREIGN_REPOSITORY(5, "the repository belongs to another PostgreSQL cluster or a newer layout"),
    CORRUPT(6, "a stored object fails its checksum, does not decode or does not decrypt (flipped, truncated or swapped); nothing was placed (backup-fetch removes what it wrote); a backup's manifest names an unsafe path, size, key or location (nothing is written outside DEST); backup-push --fail-on-corrupt-pages: a page fails its checksum; wal-verify, backup-verify: a stored object is missing or corrupt (named by key)"),
    VERIFICATION_FAILED(7, "demo: the restored cluster's data differ from the source's; backup-verify --restore-test: the restored backup did not recover or answer"),
    UNHEALTHY(8, "status: a health threshold is crossed (--max-backup-age, --max-archive-lag); one line per threshold names it"),
    WAL_CHAIN_BROKEN(9, "wal-verify: the archived WAL cannot restore the newest backup to the end of the archive; backup-verify: WAL a backup needs is not archived"),
    IO_ERROR(10, "I/O error: a local file is missing, unreadable or unwritable, or storage failed; daemon: a daemon already answers on the socket, or its path is not a socket; wal-push, wal-fetch with WALSTASH_DAEMON=required: no daemon answered"),
    POSTGRES(11, "backup-push, maintain: cannot connect to PostgreSQL, or a backup function failed, or the standby it backed up was promoted meanwhile; check with PGHOST/PGPORT: cannot connect, or the role may not switch WAL"),
    NOT_ARCHIVING(12, "check with PGHOST/PGPORT: PostgreSQL does not archive with walstash (archive_mode off, archive_command not running walstash, or archive_library set)"),
    ARCHIVE_NOT_ARRIVING(13, "check with PGHOST/PGPORT: the segment a forced WAL switch finished did not arrive in this repository within --archive-timeout (archive_command fails or archives to another repository)"),
    SLOT_BUSY(14, "wal-receive: the replication slot is active: another receiver streams from it (PostgreSQL allows one)"),
    NOT_FOUND(74, "wal-fetch: no such WAL file in the archive (the code WAL-G uses; PostgreSQL takes it as the end of the archive); backup-fetch, restore, backup-mark, delete before: no such backup"),
    RECOVERY_STOPPED(128, "wal-fetch during archive recovery (recovery.signal beside pg_wal): the file could not be fetched and the repository did not say it is absent (unreachable after WALSTASH_FETCH_OUTAGE_WAIT, permission denied, corrupt after a fresh download, ...); above 125 so that PostgreSQL stops the recovery instead of ending it early and promoting; fix the cause and start PostgreSQL again (128: not 126/127, which PostgreSQL logs as \"command not executable/not found\", nor 129-255, which shells use for a death by signal)");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    public String meaning() {
        return meaning;
    }

    /** The picocli help section: code → meaning. */
    static Map<String, String> helpSection() {
        Map<String, String> section = new LinkedHashMap<>();
        for (ExitCode exit : values()) {
            section.put(Integer.toString(exit.code), exit.meaning);
        }
        return section;
    }
}
