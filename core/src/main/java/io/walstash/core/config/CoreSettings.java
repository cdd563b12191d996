package io.walstash.core.config;

import java.time.Duration;
import java.util.List;

/**
 * core's settings, declared once each and grouped by concern; the code that uses one reads it
 * here ({@code CoreSettings.LOOKAHEAD.get(settings)}). Adapters and the CLI declare theirs the same
 * way in their own {@link SettingDeclarations}.
 */
public final class CoreSettings implements SettingDeclarations {
    private static final int ANY = Integer.MAX_VALUE;
    private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

    // ---- repository ----
    public static final String REPOSITORY = "repository";
    public static final Setting<String> STORAGE = Setting.of(REPOSITORY, "WALSTASH_STORAGE", SettingType.text())
            .alias("WALG_S3_PREFIX", "WALG_GS_PREFIX", "WALG_AZ_PREFIX", "WALG_FILE_PREFIX")
            .doc("repository URI, e.g. file:///var/lib/walstash; WALG_FILE_PREFIX is a plain path");
    public static final Setting<String> COMPRESSION = Setting.of(REPOSITORY, "WALSTASH_COMPRESSION", SettingType.text())
            .alias("WALG_COMPRESSION_METHOD").defaults("zstd")
            .doc("codec of new objects: zstd, lz4, gzip, xz, lzma, brotli, none");
    public static final Setting<String> CONFIG_FILE = Setting.of(REPOSITORY, "WALSTASH_CONFIG", SettingType.text()).asNeutral()
            .doc("a NAME=value file read after options and environment; a WAL-G .env works unchanged");

    // ---- storage requests ----
    public static final String REQUESTS = "storage requests";
    public static final Setting<Integer> RETRIES = Setting.of(REQUESTS, "WALSTASH_RETRIES", SettingType.count(0, ANY))
            .defaults(3).doc("retries of a storage request that failed for a reason that may pass");
    public static final Setting<Duration> RETRY_BASE = Setting.of(REQUESTS, "WALSTASH_RETRY_BASE",
                    SettingType.duration(Duration.ZERO, FOREVER))
            .defaults(Duration.ofSeconds(1)).doc("first backoff before a retry, doubling up to 30s, with jitter");
    public static final Setting<Duration> REQUEST_TIMEOUT = Setting.of(REQUESTS, "WALSTASH_REQUEST_TIMEOUT",
                    SettingType.duration(Duration.ofMillis(1), FOREVER))
            .defaults(Duration.ofSeconds(120)).doc("the most one push may wait on storage before it is abandoned and retried");

    // ---- archiving (wal-push) ----
    public static final String ARCHIVE = "archiving";
    public static final Setting<Integer> UPLOAD_CONCURRENCY = Setting.of(ARCHIVE, "WALSTASH_UPLOAD_CONCURRENCY",
                    SettingType.count(0, ANY))
            .alias("WALG_UPLOAD_CONCURRENCY").defaults(4)
            .doc("files backup-push reads and stores at once, and WAL files wal-push uploads at once");
    public static final Setting<Integer> LOOKAHEAD = Setting.of(ARCHIVE, "WALSTASH_LOOKAHEAD", SettingType.count(0, ANY))
            .defaults(32).doc("ready segments one wal-push uploads ahead, 0 = off");
    public static final Setting<String> SPOOL = Setting.of(ARCHIVE, "WALSTASH_SPOOL", SettingType.text())
            .doc("wal-push: local directory for WAL while storage is unreachable; status reports its backlog");
    public static final Setting<Long> SPOOL_MAX_SIZE = Setting.of(ARCHIVE, "WALSTASH_SPOOL_MAX_SIZE",
                    SettingType.size(0, Long.MAX_VALUE))
            .defaults(1L << 30).doc("the spool's limit; past it the push fails again");

    // ---- fetching (wal-fetch, backup-fetch, restore) ----
    public static final String FETCH = "fetching";
    public static final Setting<Integer> DOWNLOAD_CONCURRENCY = Setting.of(FETCH, "WALSTASH_DOWNLOAD_CONCURRENCY",
                    SettingType.count(0, ANY))
            .alias("WALG_DOWNLOAD_CONCURRENCY").defaults(4)
            .doc("files backup-fetch and restore fetch at once, and WAL segments wal-fetch prefetches ahead (0 = none)");
    /** Deprecated, not an alias: it counts tries, WALSTASH_RETRIES counts retries. */
    public static final Setting<Integer> FETCH_ATTEMPTS = Setting.of(FETCH, "WALSTASH_FETCH_ATTEMPTS", SettingType.count(1, ANY))
            .doc("deprecated, use WALSTASH_RETRIES: tries of each wal-fetch download, overriding WALSTASH_RETRIES + 1");
    /** Deprecated, not an alias: it applies to fetches only. */
    public static final Setting<Duration> FETCH_TIMEOUT = Setting.of(FETCH, "WALSTASH_FETCH_TIMEOUT",
                    SettingType.duration(Duration.ofSeconds(1), FOREVER))
            .doc("deprecated, use WALSTASH_REQUEST_TIMEOUT: how long one wal-fetch try may take, overriding it for fetches");
    public static final Setting<Duration> FETCH_OUTAGE_WAIT = Setting.of(FETCH, "WALSTASH_FETCH_OUTAGE_WAIT",
                    SettingType.duration(Duration.ZERO, FOREVER))
            .defaults(Duration.ofMinutes(5))
            .doc("in archive recovery: how long wal-fetch keeps trying an unreachable storage before exit 128");
    public static final Setting<String> LAUNCHER = Setting.of(FETCH, "WALSTASH_LAUNCHER", SettingType.text()).asNeutral()
            .environmentOnly("bin/walstash sets it in the environment of the JVM it starts")
            .doc("set by bin/walstash to its own path: wal-fetch starts its prefetch worker through it");

    // ---- base backups ----
    public static final String BACKUP = "base backups";
    public static final Setting<Integer> DELTA_MAX_STEPS = Setting.of(BACKUP, "WALSTASH_DELTA_MAX_STEPS", SettingType.count(0, ANY))
            .alias("WALG_DELTA_MAX_STEPS").defaults(0).doc("deltas after a full backup, 0 = always full");
    public static final Setting<String> DELTA_ORIGIN = Setting.of(BACKUP, "WALSTASH_DELTA_ORIGIN",
                    SettingType.choice("LATEST", "LATEST_FULL"))
            .alias("WALG_DELTA_ORIGIN").defaults("LATEST").doc("what a delta is taken against: the latest backup or the latest full one");
    public static final Setting<Duration> BACKUP_STOP_TIMEOUT = Setting.of(BACKUP, "WALSTASH_BACKUP_STOP_TIMEOUT",
                    SettingType.duration(Duration.ZERO, FOREVER))
            .defaults(Duration.ofSeconds(600)).doc("how long pg_backup_stop may wait for the backup's WAL to be archived");
    public static final Setting<Long> BACKUP_PART_SIZE = Setting.of(BACKUP, "WALSTASH_BACKUP_PART_SIZE",
                    SettingType.size(1, Long.MAX_VALUE))
            .defaults(32L << 20).doc("backup-push stores larger files in parts of this size, decompressed in parallel");
    public static final Setting<Long> BACKUP_BUNDLE_LIMIT = Setting.of(BACKUP, "WALSTASH_BACKUP_BUNDLE_LIMIT",
                    SettingType.size(0, 1L << 30))
            .defaults(1L << 20).doc("backup-push stores files up to this size together in bundle objects; 0 = each file"
                    + " its own object (readable by walstash before manifest format 5)");

    // ---- PostgreSQL ----
    public static final String POSTGRES = "PostgreSQL";
    public static final Setting<String> PGHOST = Setting.of(POSTGRES, "PGHOST", SettingType.text()).defaults("localhost")
            .doc("backup-push's connection: a TCP host; status reads pg_stat_archiver when PGHOST or PGPORT is set");
    public static final Setting<String> PGPORT = Setting.of(POSTGRES, "PGPORT", SettingType.text()).defaults("5432")
            .doc("backup-push's connection: port");
    public static final Setting<String> PGUSER = Setting.of(POSTGRES, "PGUSER", SettingType.text())
            .doc("backup-push's role (default: the OS user); a restore test's role (default: postgres)");
    public static final Setting<String> PGPASSWORD = Setting.of(POSTGRES, "PGPASSWORD", SettingType.text()).asSecret()
            .doc("backup-push's password");
    public static final Setting<String> PGDATABASE = Setting.of(POSTGRES, "PGDATABASE", SettingType.text())
            .doc("backup-push's database (default: the role's name)");
    public static final Setting<String> PG_OS_USER = Setting.of(POSTGRES, "WALSTASH_PG_OS_USER", SettingType.text())
            .defaults("postgres").doc("run as root: the OS user PostgreSQL's tools run as (demo, restore tests)");
    public static final Setting<String> PG_BIN = Setting.of(POSTGRES, "PG_BIN", SettingType.text())
            .doc("PostgreSQL binaries for demo and restore tests (default: the newest /usr/lib/postgresql/*/bin)");

    // ---- notifications ----
    public static final String NOTIFY = "notifications";
    public static final Setting<String> NOTIFY_WEBHOOK = Setting.of(NOTIFY, "WALSTASH_NOTIFY_WEBHOOK", SettingType.text()).asSecret()
            .doc("URL sent a JSON message when wal-push, backup-push or a verify fails, status finds a threshold crossed, or maintain ran");
    public static final Setting<Duration> NOTIFY_TIMEOUT = Setting.of(NOTIFY, "WALSTASH_NOTIFY_TIMEOUT",
                    SettingType.duration(Duration.ofMillis(1), FOREVER))
            .defaults(Duration.ofSeconds(3)).doc("bound on the webhook's connect and answer");

    // ---- logging ----
    public static final String LOGGING = "logging";
    public static final Setting<String> LOG_LEVEL = Setting.of(LOGGING, "WALSTASH_LOG_LEVEL", SettingType.text()).asNeutral()
            .alias("WALG_LOG_LEVEL").doc("debug adds stack traces to errors and the daemon clients' debug lines");

    private static final List<Setting<?>> ALL = List.of(STORAGE, COMPRESSION, CONFIG_FILE,
            RETRIES, RETRY_BASE, REQUEST_TIMEOUT,
            UPLOAD_CONCURRENCY, LOOKAHEAD, SPOOL, SPOOL_MAX_SIZE,
            DOWNLOAD_CONCURRENCY, FETCH_ATTEMPTS, FETCH_TIMEOUT, FETCH_OUTAGE_WAIT, LAUNCHER,
            DELTA_MAX_STEPS, DELTA_ORIGIN, BACKUP_STOP_TIMEOUT, BACKUP_PART_SIZE, BACKUP_BUNDLE_LIMIT,
            PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PG_OS_USER, PG_BIN,
            NOTIFY_WEBHOOK, NOTIFY_TIMEOUT,
            LOG_LEVEL);

    /** For ServiceLoader; the declarations are static. */
    public CoreSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
