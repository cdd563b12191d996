package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.storage.Storage;
import io.walstash.core.verify.BackupReport;
import io.walstash.core.verify.BackupVerifier;
import io.walstash.core.verify.CorruptObject;
import io.walstash.core.verify.RestoreTest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "backup-verify", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Check that a backup (NAME, LATEST or --all) can be restored: every object its files are restored",
                "from, through its delta chain, exists with the manifest's size and SHA-256, and the WAL from its start",
                "to its stop LSN is archived and intact. --restore-test also restores it into a temporary directory,",
                "recovers it to consistency through wal-fetch, starts PostgreSQL (PG_BIN) on a free 127.0.0.1 port,",
                "queries every database, then stops it and removes the directory (PGUSER names the role, default postgres).",
                "Exit 6 names a corrupt or missing object, 9 missing WAL, 7 a failed restore test."})
final class BackupVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Which which;

    static final class Which {
        @Parameters(index = "0", paramLabel = "NAME", description = "Backup name or LATEST (the default)")
        String name;
        @Option(names = "--all", description = "Verify every backup")
        boolean all;
    }

    @Option(names = "--restore-test", description = "Also restore each backup and start PostgreSQL on it")
    boolean restoreTest;

    @Option(names = "--restore-timeout", paramLabel = "DURATION", defaultValue = "10m",
            description = "How long recovery may take in a restore test (default 10m)")
    String restoreTimeout;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        java.time.Duration timeout = WalVerifyCommand.parseDuration(restoreTimeout);
        Configuration configuration = config.load();
        BackupReport report;
        try (Storage storage = config.open(configuration)) {
            BackupCatalog catalog = new BackupCatalog(storage);
            List<BackupManifest> backups;
            if (which != null && which.all) {
                backups = catalog.list().stream().map(BackupCatalog.Backup::manifest).toList();
                if (backups.isEmpty()) {
                    throw new BackupCatalog.NoSuchBackupException("no backups in " + storage.location());
                }
            } else {
                backups = List.of(catalog.resolve(which == null ? BackupCatalog.LATEST : which.name));
            }
            int concurrency = Math.max(1,
                    CoreSettings.DOWNLOAD_CONCURRENCY.get(configuration.settings()));
            RestoreTest test = null;
            if (restoreTest) {
                String role = CoreSettings.PGUSER.find(configuration.settings()).orElse("postgres");
                test = new RestoreTest(storage, Codecs.installed(), new RestoreTest.Settings(
                        PostgresBinaries.find(configuration.settings()), OsUser.current(configuration.settings()),
                        Launchers.walFetchLine(config, configuration).commandLine(), role,
                        Path.of(System.getProperty("java.io.tmpdir")), timeout, concurrency), err);
            }
            report = new BackupVerifier(storage, Codecs.installed(), concurrency, err,
                    ProgressLine.forStderr(err, configuration.settings())).verify(backups, test);
        }
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(report));
        } else {
            print(report, out);
        }
        out.flush();
        return exitCode(report).code();
    }

    static ExitCode exitCode(BackupReport report) {
        List<BackupReport.Result> results = report.backups();
        if (results.stream().anyMatch(r -> !r.corrupt().isEmpty() || !r.corruptWal().isEmpty())) {
            return ExitCode.CORRUPT;
        }
        if (results.stream().anyMatch(r -> !r.missingWal().isEmpty())) {
            return ExitCode.WAL_CHAIN_BROKEN;
        }
        if (results.stream().anyMatch(r -> r.restoreTest() != null && !r.restoreTest().passed())) {
            return ExitCode.VERIFICATION_FAILED;
        }
        return ExitCode.OK;
    }

    private static void print(BackupReport report, PrintWriter out) {
        for (BackupReport.Result r : report.backups()) {
            for (CorruptObject c : r.corrupt()) {
                out.printf("corrupt   %s: %s: %s%n", r.name(), c.key(), c.problem());
            }
            for (String segment : r.missingWal()) {
                out.printf("missing   %s: WAL segment %s is not archived%n", r.name(), segment);
            }
            for (CorruptObject c : r.corruptWal()) {
                out.printf("corrupt   %s: %s: %s%n", r.name(), c.key(), c.problem());
            }
            if (r.restoreTest() != null) {
                out.printf("restore   %s: %s in %.1f s: %s%n", r.name(), r.restoreTest().passed() ? "passed" : "FAILED",
                        r.restoreTest().took().toMillis() / 1000.0, r.restoreTest().detail());
            }
            out.printf("%s %s: %d objects (%.1f MiB) checked, %d corrupt, %d WAL segments missing, %d corrupt%s%n",
                    r.passed() ? "OK    " : "FAILED", r.name(), r.objectsChecked(), r.plainBytes() / 1048576.0,
                    r.corrupt().size(), r.missingWal().size(), r.corruptWal().size(),
                    r.restoreSkipped() == null ? "" : "; " + r.restoreSkipped());
        }
    }
}
