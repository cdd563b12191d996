package io.walstash.cli;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.RecoveryTarget;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.io.OwnerOnly;
import io.walstash.core.storage.Storage;
import io.walstash.core.restore.RestoreService;
import io.walstash.cli.daemon.Daemons;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "restore", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Restore a base backup into DEST and set it up to recover from the WAL archive:",
                "backup-fetch, then recovery.signal and, in postgresql.auto.conf, restore_command = walstash wal-fetch",
                "plus the recovery target. Without NAME, a time or LSN target picks the newest backup that ended",
                "before it; otherwise the latest backup is used. Start the server afterwards (pg_ctl start).",
                "restore_command passes --storage (and --config); other settings (credentials) must be in the",
                "server's environment or that config file. As the fetch begins it starts the auto daemon that",
                "restore_command will ask (unless WALSTASH_DAEMON=off), so that the recovery finds it ready."})
final class RestoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Mixin
    FetchOptions fetch;

    @Parameters(index = "0", paramLabel = "DEST", description = "Directory to restore into (created if missing)")
    Path destination;

    @Parameters(index = "1", paramLabel = "NAME", arity = "0..1", description = "Backup name or LATEST (default: chosen from the target)")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Target target;

    static final class Target {
        @Option(names = "--target-time", paramLabel = "TIME", description = "Stop at this time, e.g. '2026-01-02 03:04:05+00'")
        String time;
        @Option(names = "--target-xid", paramLabel = "XID", description = "Stop after this transaction")
        String xid;
        @Option(names = "--target-name", paramLabel = "NAME", description = "Stop at this restore point (pg_create_restore_point)")
        String restorePoint;
        @Option(names = "--target-lsn", paramLabel = "LSN", description = "Stop at this WAL location, e.g. 0/3000060")
        String lsn;
        @Option(names = "--target-immediate", description = "Stop as soon as the backup is consistent")
        boolean immediate;
    }

    @Option(names = "--target-action", paramLabel = "ACTION",
            description = "What the server does at the target: promote, pause or shutdown (PostgreSQL's default: pause)")
    String action;

    @Option(names = "--target-timeline", paramLabel = "TIMELINE", description = "latest (PostgreSQL's default), current or a number")
    String timeline;

    @Option(names = "--restore-command", paramLabel = "COMMAND",
            description = "restore_command to write instead of this walstash's wal-fetch")
    String restoreCommand;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        RecoveryTarget recovery = recoveryTarget();
        Configuration configuration = config.load();
        try (Storage storage = config.open(configuration)) {
            Launchers.WalFetchLine line = restoreCommand != null ? null : Launchers.walFetchLine(config, configuration);
            String command = restoreCommand != null ? restoreCommand : line.commandLine();
            RestoreService.Request request = new RestoreService.Request(Optional.ofNullable(name), recovery,
                    fetch.options(destination, configuration), command);
            RestoreService.Listener listener = new RestoreService.Listener() {
                @Override
                public void chosen(BackupManifest backup) {
                    err.printf("walstash: chose backup %s (ended %s at %s)%n", backup.name(), backup.stopTime(), backup.stopLsn());
                }

                @Override
                public void fetching(BackupManifest backup, Path into) throws IOException {
                    if (line != null) {
                        startDaemonAhead(line, into, CliSettings.DAEMON_IDLE.get(configuration.settings()), err);
                    }
                }
            };
            RestoreService.Result result = new RestoreService(storage, Codecs.installed(), err,
                    ProgressLine.forStderr(err, configuration.settings())).restore(request, listener);
            if (result instanceof RestoreService.NoBackup none) {
                throw new BackupCatalog.NoSuchBackupException(none.reason());
            }
            RestoreService.Restored restored = (RestoreService.Restored) result;
            err.printf("walstash: restored %s into %s with recovery settings in postgresql.auto.conf; start the server to recover%n",
                    restored.backup().name(), restored.destination());
            return ExitCode.OK.code();
        }
    }

    /**
     * Starts the auto daemon that the restore_command written will ask, as the fetch begins: its start
     * (a JVM, then the storage client) runs beside the fetch, and the recovery's first wal-fetch finds
     * it listening with storage open. That start inside the recovery was most of what the defaults
     * lost to pgBackRest's asynchronous archive-get from S3. Creates DEST (owner-only, as the fetch
     * would) when it is missing: the daemon works in it, as PostgreSQL's commands do. Only when this
     * user owns DEST and is not root: the server runs as DEST's owner, never as root, and a daemon
     * answers its own user only. The server's environment is taken to be this one; when it is not,
     * its calls ask another daemon and this one stops unasked after its idle time (WALSTASH_DAEMON_IDLE).
     */
    private static void startDaemonAhead(Launchers.WalFetchLine line, Path destination, Duration idle, PrintWriter err)
            throws IOException {
        // /proc/self belongs to this process's effective user
        if ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0) {
            return;
        }
        UserPrincipal self = Files.getOwner(Path.of("/proc/self"));
        if (!Files.exists(destination)) {
            OwnerOnly.createDirectories(destination);
        }
        Path dataDirectory = destination.toRealPath();
        if (!Files.isDirectory(dataDirectory) || !Files.getOwner(dataDirectory).equals(self)) {
            return;
        }
        Daemons.AheadStart start = Daemons.startAhead(System.getenv(), line.environment(),
                line.configFile().map(Path::toString).orElse(null), line.storage(), dataDirectory);
        if (start instanceof Daemons.AheadStart.Started started) {
            err.printf("walstash: started the daemon restore_command will ask (%s); it stops after %d s without a request (%s)%n",
                    started.socket(), idle.toSeconds(), CliSettings.DAEMON_IDLE.name());
        } else if (start instanceof Daemons.AheadStart.Failed failed) {
            err.printf("walstash: warning: the daemon restore_command will ask was not started ahead (the recovery's first"
                    + " wal-fetch starts it): %s%n", failed.why());
        }
    }

    private RecoveryTarget recoveryTarget() {
        if (target == null) {
            return new RecoveryTarget(RecoveryTarget.Kind.NONE, null, action, timeline);
        }
        if (target.time != null) {
            return new RecoveryTarget(RecoveryTarget.Kind.TIME, target.time, action, timeline);
        }
        if (target.xid != null) {
            return new RecoveryTarget(RecoveryTarget.Kind.XID, target.xid, action, timeline);
        }
        if (target.restorePoint != null) {
            return new RecoveryTarget(RecoveryTarget.Kind.NAME, target.restorePoint, action, timeline);
        }
        if (target.lsn != null) {
            return new RecoveryTarget(RecoveryTarget.Kind.LSN, target.lsn, action, timeline);
        }
        return new RecoveryTarget(RecoveryTarget.Kind.IMMEDIATE, null, action, timeline);
    }

}
