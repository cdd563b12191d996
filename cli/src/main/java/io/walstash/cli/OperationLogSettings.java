package io.walstash.cli;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.util.List;

/**
 * The operation log's settings ({@link OperationLog}), apart from it: every client loads the
 * declarations, the daemon's fast path too, which must not pay for the log's own classes. None is
 * neutral: a daemon writes into the file its callers name, so the file is part of its configuration
 * (the seed's two names, outside walstash's prefixes, are counted by name: AutoDaemon.ALSO).
 */
public final class OperationLogSettings implements SettingDeclarations {
    static final String GROUP = "log";

    public static final Setting<String> LOG_FILE = Setting.of(GROUP, "WALSTASH_LOG_FILE", SettingType.text())
            .doc("append one line per operation (time, verb, segment, outcome, duration; never a secret) to this file,"
                    + " created 0600; a file that cannot be written is a warning, never a failure");
    public static final Setting<String> ARCHIVE_LOG = Setting.of(GROUP, "WAL_ARCHIVE_LOG", SettingType.text())
            .doc("the seed's wal-archive.log: as WALSTASH_LOG_FILE, for wal-push only (WALSTASH_LOG_FILE wins)");
    public static final Setting<String> RESTORE_LOG = Setting.of(GROUP, "WAL_RESTORE_LOG", SettingType.text())
            .doc("the seed's wal-restore.log: as WALSTASH_LOG_FILE, for wal-fetch only (WALSTASH_LOG_FILE wins)");

    /** For ServiceLoader; the declarations are static. */
    public OperationLogSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return List.of(LOG_FILE, ARCHIVE_LOG, RESTORE_LOG);
    }
}
