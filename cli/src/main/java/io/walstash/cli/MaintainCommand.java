package io.walstash.cli;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Durations;
import io.walstash.core.config.Settings;
import io.walstash.core.maintain.MaintenanceService;
import io.walstash.core.maintain.MaintenanceSettings;
import io.walstash.core.retention.RetentionPolicy;
import io.walstash.core.status.HealthThresholds;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "maintain", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Scheduled maintenance in one run: backup-push PGDATA (full or delta by WALSTASH_DELTA_MAX_STEPS),",
                "delete retain N --confirm (N from --retain or WALSTASH_RETAIN_BACKUPS / WALG_RETAIN_BACKUPS; no",
                "retention when neither is set, none after a failed backup), backup-verify of the new backup, wal-verify",
                "and status. Prints one line per step; sends ONE notification summarising the run (webhook and/or email,",
                "on success too). Exit code: that of the FIRST step that failed, in this order (backup, retention,",
                "backup verification, WAL verification, status); 0 when every step passed."})
final class MaintainCommand implements Callable<Integer>, CommandOutcome.Reporting {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Parameters(index = "0", paramLabel = "PGDATA", description = "The cluster's data directory")
    Path dataDirectory;

    @Option(names = "--full", description = "Take a full backup even when a delta is allowed")
    boolean full;

    @Option(names = "--retain", paramLabel = "N", description = "Backups to keep (default WALSTASH_RETAIN_BACKUPS)")
    Integer retain;

    @Option(names = "--max-backup-age", paramLabel = "DURATION", description = "status: unhealthy past this backup age")
    String maxBackupAge;

    @Option(names = "--max-archive-lag", paramLabel = "DURATION", description = "status: unhealthy past this archive lag")
    String maxArchiveLag;

    private List<CommandOutcome.Problem> summary = List.of();

    @Override
    public List<CommandOutcome.Problem> problems() {
        return summary;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Configuration configuration = config.load();
        Settings settings = configuration.settings();
        if (retain != null && retain < 1) {
            throw new IllegalArgumentException("--retain needs a number of backups of at least 1, not " + retain);
        }
        Optional<RetentionPolicy> retention = Optional.ofNullable(retain).or(() -> MaintenanceSettings.RETAIN_BACKUPS.find(settings))
                .map(count -> new RetentionPolicy.Retain(RetentionPolicy.Scope.ALL, count, null));
        HealthThresholds thresholds = new HealthThresholds(duration(maxBackupAge), duration(maxArchiveLag));
        MaintenanceService.Plan plan = new MaintenanceService.Plan(BackupPushCommand.options(settings, dataDirectory, full,
                false, null, false), retention, thresholds, Duration.ofMinutes(5), CoreSettings.DOWNLOAD_CONCURRENCY.get(settings));
        MaintenanceService.Report report;
        try (WalArchive archive = WalArchive.open(configuration, VersionProvider.writer())) {
            report = new MaintenanceService(archive, BackupPushCommand.push(archive, configuration, err), Codecs.installed(), err, Clock.systemUTC())
                    .run(plan, () -> PostgresConnection.open(settings));
        }
        report.lines().forEach(out::println);
        ExitCode code = report.firstProblem().map(MaintainCommand::exitCode).orElse(ExitCode.OK);
        report.firstProblem().ifPresentOrElse(
                p -> out.printf("FAILED: %s (exit %d)%n", p.step().label(), code.code()),
                () -> out.println("OK: every step passed"));
        out.flush();
        summary = summary(report, code);
        return code.code();
    }

    /** The notification's lines: which step failed first (if one did), then every step's line. */
    static List<CommandOutcome.Problem> summary(MaintenanceService.Report report, ExitCode code) {
        List<CommandOutcome.Problem> lines = new java.util.ArrayList<>();
        report.firstProblem().ifPresent(p -> lines.add(new CommandOutcome.Problem(CommandOutcome.Kind.ERROR,
                "step " + p.step().label() + " failed (exit " + code.code() + ")")));
        report.lines().forEach(l -> lines.add(new CommandOutcome.Problem(CommandOutcome.Kind.SUMMARY, l)));
        return List.copyOf(lines);
    }

    /** The code the step's own verb would have exited with. */
    static ExitCode exitCode(MaintenanceService.Outcome outcome) {
        if (outcome instanceof MaintenanceService.Failed failed) {
            return Failures.exitCodeOf(failed.cause());
        }
        if (outcome instanceof MaintenanceService.BackupVerified verified) {
            return BackupVerifyCommand.exitCode(verified.report());
        }
        if (outcome instanceof MaintenanceService.WalVerified wal) {
            return WalVerifyCommand.exitCode(wal.report());
        }
        if (outcome instanceof MaintenanceService.Status) {
            return ExitCode.UNHEALTHY;
        }
        return ExitCode.OK;
    }

    private static Optional<Duration> duration(String text) {
        return Optional.ofNullable(text).map(Durations::parse);
    }
}
