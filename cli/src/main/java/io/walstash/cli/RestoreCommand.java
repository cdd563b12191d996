package io.walstash.cli;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.RecoveryTarget;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.storage.Storage;
import io.walstash.core.restore.RestoreService;
import java.io.PrintWriter;
import java.nio.file.Path;
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
                "server's environment or that config file."})
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
            String command = restoreCommand != null ? restoreCommand : Launchers.walFetchCommand(config, configuration);
            RestoreService.Request request = new RestoreService.Request(Optional.ofNullable(name), recovery,
                    fetch.options(destination, configuration), command);
            RestoreService.Result result = new RestoreService(storage, Codecs.installed(), err,
                    ProgressLine.forStderr(err, configuration.settings())).restore(request, backup ->
                    err.printf("walstash: chose backup %s (ended %s at %s)%n", backup.name(), backup.stopTime(), backup.stopLsn()));
            if (result instanceof RestoreService.NoBackup none) {
                throw new BackupCatalog.NoSuchBackupException(none.reason());
            }
            RestoreService.Restored restored = (RestoreService.Restored) result;
            err.printf("walstash: restored %s into %s with recovery settings in postgresql.auto.conf; start the server to recover%n",
                    restored.backup().name(), restored.destination());
            return ExitCode.OK.code();
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
