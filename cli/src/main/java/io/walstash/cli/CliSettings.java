package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import io.walstash.core.receive.ReceiveSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The CLI's own settings: the daemon and the launcher. None changes what is written or answered,
 * so none is part of an auto daemon's configuration. Those the launcher script or the daemon
 * clients read before any configuration file is parsed are environment-only, and say why.
 */
public final class CliSettings implements SettingDeclarations {
    static final String DAEMON_GROUP = "daemon";
    static final String LAUNCHER_GROUP = "launcher";
    private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);
    private static final String CLIENTS = "bin/walstash and both daemon clients decide with it before any config file is read";

    public static final Setting<String> DAEMON = Setting.of(DAEMON_GROUP, "WALSTASH_DAEMON", SettingType.choice("auto", "off", "required"))
            .defaults("auto").asNeutral().environmentOnly(CLIENTS)
            .doc("auto: wal-push/wal-fetch ask the daemon of their configuration, starting it when none answers; off; required");
    public static final Setting<Duration> DAEMON_IDLE = Setting.of(DAEMON_GROUP, "WALSTASH_DAEMON_IDLE",
                    SettingType.duration(Duration.ZERO, FOREVER))
            .defaults(Duration.ofMinutes(2)).asNeutral().doc("an auto daemon exits after this long without a request");
    public static final Setting<Duration> DAEMON_WAIT = Setting.of(DAEMON_GROUP, "WALSTASH_DAEMON_WAIT",
                    SettingType.duration(Duration.ZERO, FOREVER))
            .defaults(Duration.ofSeconds(3)).asNeutral().environmentOnly("the daemon clients read it before any config file")
            .doc("how long the call that starts an auto daemon waits for it (required: 30s)");
    public static final Setting<String> DAEMON_SOCKET = Setting.of(DAEMON_GROUP, "WALSTASH_DAEMON_SOCKET", SettingType.text()).asNeutral()
            .doc("a daemon started by hand: wal-push/wal-fetch ask it first, and work alone without an answer");
    static final Setting<String> JAVA_OPTS = Setting.of(LAUNCHER_GROUP, "WALSTASH_JAVA_OPTS", SettingType.text()).asNeutral()
            .environmentOnly("bin/walstash reads it to start the JVM").doc("extra JVM options for the launcher");
    static final Setting<String> NATIVE_CLIENT = Setting.of(LAUNCHER_GROUP, "WALSTASH_NATIVE_CLIENT", SettingType.choice("on", "off"))
            .defaults("on").asNeutral().environmentOnly("bin/walstash reads it before any JVM starts")
            .doc("off: reach the daemon through the JVM, not bin/walstash-client");
    static final Setting<String> CDS = Setting.of(LAUNCHER_GROUP, "WALSTASH_CDS", SettingType.choice("on", "off"))
            .defaults("on").asNeutral().environmentOnly("bin/walstash reads it before any JVM starts")
            .doc("off: no class-data sharing archive in ~/.cache/walstash");

    /** Neutral: it changes nothing written or answered, so the daemon's digest leaves it out (C client's EXCLUDED too). */
    public static final Setting<Duration> PROGRESS_INTERVAL = Setting.of("progress", "WALSTASH_PROGRESS_INTERVAL",
                    SettingType.duration(Duration.ZERO, Duration.ofHours(1)))
            .defaults(Duration.ofSeconds(15)).asNeutral()
            .doc("backup-push, backup-fetch, restore, backup-verify, delete --confirm: a progress line on stderr this often"
                    + " when stderr is not a terminal (a terminal gets a live line); 0 = none");

    /**
     * The command-line options that set a setting, by its name (core's declarations name no CLI flag;
     * names, not the records, because the fast path loads this class and a record's hashCode costs a bootstrap).
     */
    static final Map<String, String> OPTIONS = Map.of(CoreSettings.STORAGE.name(), "--storage",
            CoreSettings.COMPRESSION.name(), "--compression", CoreSettings.CONFIG_FILE.name(), "--config",
            CoreSettings.SPOOL.name(), "--spool (wal-push, status)", CoreSettings.DELTA_MAX_STEPS.name(),
            "--delta-max-steps (backup-push)", DAEMON_SOCKET.name(), "--daemon-socket (wal-push, wal-fetch), --socket (daemon)",
            ReceiveSettings.SLOT.name(), "--slot (wal-receive)", ReceiveSettings.SYNC_INTERVAL.name(),
            "--sync-interval (wal-receive)", ReceiveSettings.SYNC_SIZE.name(), "--sync-size (wal-receive)");

    private static final List<Setting<?>> ALL = List.of(DAEMON, DAEMON_IDLE, DAEMON_WAIT, DAEMON_SOCKET, JAVA_OPTS, NATIVE_CLIENT, CDS,
            PROGRESS_INTERVAL);

    /** For ServiceLoader; the declarations are static. */
    public CliSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
