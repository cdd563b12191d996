package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.Durations;
import io.walstash.core.config.Settings;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.core.status.HealthThresholds;
import io.walstash.core.status.PgArchiver;
import io.walstash.core.status.RepositoryStatus;
import io.walstash.core.status.StatusReport;
import io.walstash.core.storage.Storage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "status", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Show how fresh the repository is: the last archived WAL segment and its age, WAL and backup"
                + " counts and sizes, the newest backup's age, the spool backlog (--spool or WALSTASH_SPOOL) and,"
                + " when PGHOST or PGPORT is set, PostgreSQL's pg_stat_archiver and the lag of wal-receive's slot"
                + " (WALSTASH_RECEIVE_SLOT) in bytes and seconds. With --max-backup-age or"
                + " --max-archive-lag it exits 8 when a threshold is crossed, one line on stderr per threshold.")
final class StatusCommand implements Callable<Integer>, CommandOutcome.Reporting {

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    static final class Format {
        @Option(names = "--json", description = "Print one JSON object")
        boolean json;

        @Option(names = "--prometheus", description = "Print Prometheus text exposition format 0.0.4 (for node_exporter's textfile collector)")
        boolean prometheus;
    }

    @ArgGroup(exclusive = true)
    Format format = new Format();

    @Option(names = "--max-backup-age", paramLabel = "DURATION",
            description = "Unhealthy when the newest backup stopped longer ago than this, or there is none (e.g. 26h, 7d)")
    String maxBackupAge;

    @Option(names = "--max-archive-lag", paramLabel = "DURATION",
            description = "Unhealthy when the last archived segment is older than this (e.g. 15m), PostgreSQL's archiver"
                    + " is failing, or a spooled file waits longer")
    String maxArchiveLag;

    @Option(names = "--spool", paramLabel = "DIR", description = "The spool directory to report on (WALSTASH_SPOOL)")
    Path spool;

    private List<CommandOutcome.Problem> problems = List.of();

    @Override
    public List<CommandOutcome.Problem> problems() {
        return problems;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        HealthThresholds thresholds = new HealthThresholds(duration("--max-backup-age", maxBackupAge),
                duration("--max-archive-lag", maxArchiveLag));
        Configuration configuration = config.load();
        Settings settings = configuration.settings();
        Optional<Path> spoolDirectory = Optional.ofNullable(spool).or(() -> CoreSettings.SPOOL.find(settings).map(Path::of));
        Optional<SpoolBacklog> backlog = spoolDirectory.isPresent()
                ? Optional.of(SpoolBacklog.read(spoolDirectory.get())) : Optional.empty();
        Optional<PgArchiver> archiver = archiver(settings);
        RepositoryStatus status;
        try (Storage storage = config.open(configuration)) {
            status = RepositoryStatus.gather(storage, backlog, archiver, Clock.systemUTC());
        }
        StatusReport report = StatusReport.of(status, thresholds, receiverLag(settings));
        out.print(format.json ? report.json() : format.prometheus ? report.prometheus() : report.text());
        out.flush();
        if (archiver.orElse(null) instanceof PgArchiver.Unavailable unavailable) {
            err.println("walstash: warning: pg_stat_archiver unavailable: " + unavailable.reason());
        }
        report.breaches().forEach(b -> err.println("walstash: unhealthy: " + b.message()));
        problems = report.breaches().stream().map(b -> new CommandOutcome.Problem(CommandOutcome.Kind.UNHEALTHY, b.message())).toList();
        err.flush();
        return report.healthy() ? ExitCode.OK.code() : ExitCode.UNHEALTHY.code();
    }

    private static Optional<Duration> duration(String option, String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Durations.parse(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": " + e.getMessage());
        }
    }

    /** The WAL receiver's slot (WALSTASH_RECEIVE_SLOT) as the server sees it, when a connection is configured and the slot exists. */
    private static Optional<io.walstash.core.status.ReceiverLag> receiverLag(Settings settings) {
        if (CoreSettings.PGHOST.find(settings).isEmpty() && CoreSettings.PGPORT.find(settings).isEmpty()) {
            return Optional.empty();
        }
        try (Connection connection = PostgresConnection.open(settings)) {
            return io.walstash.core.status.ReceiverLag.query(connection,
                    io.walstash.core.receive.ReceiveSettings.SLOT.get(settings));
        } catch (SQLException | IllegalArgumentException e) {
            return Optional.empty(); // the archiver line already reports an unreachable server
        }
    }

    /**
     * PostgreSQL's archiver view when a connection is configured (PGHOST or PGPORT set): a status
     * run on a machine without PostgreSQL must not try localhost:5432. A failed connection is
     * reported, not fatal: the repository's own facts are still worth showing.
     */
    private static Optional<PgArchiver> archiver(Settings settings) {
        if (CoreSettings.PGHOST.find(settings).isEmpty() && CoreSettings.PGPORT.find(settings).isEmpty()) {
            return Optional.empty();
        }
        try (Connection connection = PostgresConnection.open(settings)) {
            return Optional.of(PgArchiver.query(connection));
        } catch (SQLException | IllegalArgumentException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return Optional.of(new PgArchiver.Unavailable(message.lines().findFirst().orElse(message)));
        }
    }
}
