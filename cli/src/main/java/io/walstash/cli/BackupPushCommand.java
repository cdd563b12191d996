package io.walstash.cli;

import io.walstash.core.archive.RepositoryIdentity;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.BackupPush;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.Settings;
import io.walstash.core.repository.RepositoryMarker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "backup-push", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Take a base backup of the running cluster (a primary or a hot standby) whose data directory is PGDATA.",
                "Connects with PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (libpq's defaults); needs WAL archiving",
                "(archive_command = walstash wal-push) to work. A delta backup stores only pages changed since",
                "the latest backup; WALSTASH_DELTA_MAX_STEPS (WALG_DELTA_MAX_STEPS) deltas may follow a full one."})
final class BackupPushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Parameters(index = "0", paramLabel = "PGDATA", description = "The cluster's data directory")
    Path dataDirectory;

    @Option(names = "--full", description = "Take a full backup even when a delta is allowed")
    boolean full;

    @Option(names = "--permanent", description = "Mark the backup permanent (retention never deletes it)")
    boolean permanent;

    @Option(names = "--fail-on-corrupt-pages",
            description = "Fail (exit 6, no backup) when a page fails its checksum; by default such pages are recorded in the manifest and reported")
    boolean failOnCorruptPages;

    @Option(names = "--delta-max-steps", paramLabel = "N",
            description = "Deltas allowed after a full backup; 0 = always full (WALSTASH_DELTA_MAX_STEPS, default 0)")
    Integer deltaMaxSteps;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Configuration configuration = config.load();
        Settings settings = configuration.settings();
        long started = System.nanoTime();
        try (WalArchive archive = WalArchive.open(configuration, VersionProvider.writer());
             Connection connection = PostgresConnection.open(settings)) {
            RepositoryIdentity.requireServes(archive, connection);
            BackupManifest manifest = push(archive, configuration, err).push(connection,
                    options(settings, dataDirectory, full, permanent, deltaMaxSteps, failOnCorruptPages));
            err.printf("walstash: backup %s done: %d files, %.1f MiB, %.1f MiB stored, %s .. %s, in %.1f s%n",
                    manifest.name(), manifest.files().size(), manifest.originalSize() / 1048576.0,
                    manifest.storedSize() / 1048576.0, manifest.startLsn(), manifest.stopLsn(),
                    (System.nanoTime() - started) / 1e9);
            spec.commandLine().getOut().println(manifest.name());
            return ExitCode.OK.code();
        }
    }

    /** The backup-push options these flags and {@code settings} give ({@code deltaMaxSteps} null: the setting's). */
    static BackupPush.Options options(Settings settings, Path dataDirectory, boolean full, boolean permanent,
                                      Integer deltaMaxSteps, boolean failOnCorruptPages) {
        int steps = deltaMaxSteps != null ? deltaMaxSteps : CoreSettings.DELTA_MAX_STEPS.get(settings);
        Duration stopTimeout = CoreSettings.BACKUP_STOP_TIMEOUT.get(settings);
        return new BackupPush.Options(dataDirectory.toAbsolutePath(), full, permanent, steps,
                CoreSettings.UPLOAD_CONCURRENCY.get(settings), stopTimeout, failOnCorruptPages,
                CoreSettings.DELTA_ORIGIN.get(settings).equals("LATEST_FULL"));
    }

    /** The backup service writing into {@code archive} with the configured codec and object sizes; progress to {@code err}. */
    static BackupPush push(WalArchive archive, Configuration configuration, PrintWriter err) {
        Settings settings = configuration.settings();
        BackupPush.ObjectSizes sizes = new BackupPush.ObjectSizes(CoreSettings.BACKUP_PART_SIZE.get(settings),
                CoreSettings.BACKUP_BUNDLE_LIMIT.get(settings));
        return new BackupPush(archive.storage(), Codecs.installed().byName(configuration.compression()),
                VersionProvider.writer(), err, Clock.systemUTC(), sizes, "unless given --waldir DIR",
                ProgressLine.forStderr(err, configuration.settings()));
    }
}
