package io.walstash.cli;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.check.PostgresCheck;
import io.walstash.core.check.StorageCheck;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Durations;
import io.walstash.core.config.Settings;
import java.sql.Connection;
import java.time.Clock;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Prove the configured storage works before PostgreSQL relies on it.",
                "Writes, reads back, lists and deletes a probe object and reports each step's latency;",
                "a failure names what failed (no credentials, access denied, no such bucket,",
                "endpoint unreachable, TLS problem) in one line and exits non-zero.",
                "With PGHOST or PGPORT set, also checks PostgreSQL's side: archive_mode on, an archive_command that runs",
                "walstash, the repository serves this cluster, and a forced WAL switch whose segment must arrive in THIS",
                "repository within --archive-timeout (exit 12: not archiving with walstash; 13: the segment did not arrive)."})
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Option(names = "--create-bucket", description = "Create the bucket or container when it is missing")
    boolean createBucket;

    @Option(names = "--archive-timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "With PGHOST or PGPORT set: how long the segment a forced WAL switch finishes may take to arrive (default ${DEFAULT-VALUE})")
    String archiveTimeout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Configuration configuration = config.load();
        out.printf("storage: %s%n", StorageLocation.configured(configuration));
        StorageCheck.Passed passed = new StorageCheck(new StorageCheck.Listener() {
            @Override
            public void passed(StorageCheck.Step step, Duration took) {
                out.printf("  %-24s %7.1f ms%n", step.label(), took.toNanos() / 1e6);
                if (step == StorageCheck.Step.OPEN) {
                    out.printf("codec: %s%n", configuration.compression());
                }
                out.flush();
            }

            @Override
            public void failed(StorageCheck.Step step) {
                out.printf("  %-24s FAILED%n", step.label());
                out.flush();
            }

            @Override
            public void bucket(Optional<Boolean> created) {
                out.println(created.map(c -> "  bucket: " + (c ? "created" : "already there"))
                        .orElse("  --create-bucket: nothing to create for " + StorageLocation.configured(configuration).uri().getScheme() + " storage"));
            }

            @Override
            public void uploadCleanup(UploadCleanup cleanup) {
                if (cleanup instanceof UploadCleanup.Refused refused) {
                    // a warning, not a failure: see StorageCheck (the storage works without the rule)
                    err.println("walstash: warning: unfinished multipart uploads are not aborted by the bucket (" + refused.reason()
                            + "); add a lifecycle rule that aborts them after " + StorageCheck.ABORT_INCOMPLETE_UPLOADS_DAYS + " days by hand");
                    err.flush();
                    return;
                }
                String line;
                if (cleanup instanceof UploadCleanup.Added added) {
                    line = "aborted after " + added.days() + " days (lifecycle rule " + added.rule() + " added)";
                } else if (cleanup instanceof UploadCleanup.Present present) {
                    line = "aborted after " + present.days() + " days (the bucket's lifecycle rule " + present.rule() + ", kept)";
                } else {
                    line = "no rule needed (" + ((UploadCleanup.NotApplicable) cleanup).why() + ")";
                }
                out.println("  unfinished uploads: " + line);
            }

            @Override
            public void versioning(Versioning versioning) {
                out.println("  versioning: " + switch (versioning.state()) {
                    case ON -> "on (" + versioning.detail() + "); what retention deletes stays stored as noncurrent versions"
                            + " until a lifecycle rule expires them";
                    case SUSPENDED -> "suspended (" + versioning.detail() + ")";
                    case OFF -> "off (" + versioning.detail() + ")";
                    case UNKNOWN -> "unknown (" + versioning.detail() + ")";
                });
            }
        }).run(configuration, VersionProvider.writer(), createBucket);
        out.printf("repository: %s%n", passed.marker().map(m -> "serves " + m)
                .orElse("empty (the first wal-push pins it to its cluster)"));
        out.println("OK: the storage works");
        Settings settings = configuration.settings();
        if (CoreSettings.PGHOST.find(settings).isEmpty() && CoreSettings.PGPORT.find(settings).isEmpty()) {
            return ExitCode.OK.code();
        }
        Duration timeout = Durations.parse(archiveTimeout);
        out.println("PostgreSQL: archive_mode, archive_command, then a forced WAL switch that must arrive here");
        out.flush();
        PostgresCheck.Passed archiving;
        try (WalArchive archive = WalArchive.open(configuration, VersionProvider.writer());
             Connection connection = PostgresConnection.open(settings)) {
            archiving = new PostgresCheck(Clock.systemUTC(), d -> Thread.sleep(d.toMillis())).run(connection, archive, timeout);
        }
        out.printf("  archive_mode %s; archive_command runs walstash; segment %s arrived in %.1f s%n",
                archiving.archiveMode(), archiving.segment(), archiving.took().toMillis() / 1000.0);
        out.println("OK: PostgreSQL archives into this repository");
        return ExitCode.OK.code();
    }
}
