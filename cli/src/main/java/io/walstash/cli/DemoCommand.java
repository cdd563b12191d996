package io.walstash.cli;

import java.util.Optional;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Run walstash end to end on a throwaway PostgreSQL cluster.",
                "Archives its WAL to a local file:// repository, takes a full and a delta base backup under load,",
                "restores them to a point in time through the WAL archive, and compares the data with the source's",
                "at that time.",
                "Needs PostgreSQL's binaries (PG_BIN or /usr/lib/postgresql/*/bin); as root it runs them as 'postgres'."})
final class DemoCommand implements Callable<Integer> {
    private static final Duration WAIT = Duration.ofMinutes(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--scale", defaultValue = "5", description = "pgbench scale factor of the load (default ${DEFAULT-VALUE})")
    int scale;

    @Option(names = "--transactions", defaultValue = "2000", description = "pgbench transactions per client (default ${DEFAULT-VALUE})")
    int transactions;

    @Option(names = "--keep", description = "Keep the working directory (clusters stopped) for inspection")
    boolean keep;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (scale < 1 || transactions < 1) {
            throw new IllegalArgumentException("--scale and --transactions must be at least 1");
        }
        Settings settings = Configuration.load(Map.of(), System.getenv()).settings();
        PostgresBinaries binaries = PostgresBinaries.find(settings);
        int major = io.walstash.core.postgres.PostgresVersions.requireSupported(binaries.majorVersion());
        OsUser user = OsUser.current(settings);
        Path work = Files.createTempDirectory("walstash-demo-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        user.own(work);
        Path repository = work.resolve("repository");
        String storage = repository.toUri().toString();
        String walstash = Launchers.launcher(user, work);
        out.printf("walstash demo: PostgreSQL %d from %s%s, working in %s%n", major,
                binaries.directory(), user.runAs().map(u -> " as OS user " + u).orElse(""), work);
        out.printf("  repository: %s%n", storage);
        long demoStart = System.nanoTime();
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work);
             LocalCluster restored = LocalCluster.existing(binaries, user, work.resolve("restored"), work)) {
            long t = System.nanoTime();
            source.configure(Map.of("archive_mode", "on",
                    "archive_command", walstash + " wal-push --storage " + storage + " %p",
                    "wal_level", "replica", "max_wal_senders", "4"));
            source.start();
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE demo_events (id bigserial PRIMARY KEY, payload text, at timestamptz DEFAULT now())");
            }
            // Prove archiving works before relying on it: pg_basebackup would wait for it forever.
            source.switchWalAndWaitForArchive(WAIT);
            step("initdb, start a source cluster with archive_command = walstash wal-push, archive one segment", t);

            Map<String, String> backupEnv = Map.of(CoreSettings.STORAGE.name(), storage, CoreSettings.PGHOST.name(), "127.0.0.1",
                    CoreSettings.PGPORT.name(), Integer.toString(source.port()), CoreSettings.PGUSER.name(), "postgres",
                    CoreSettings.PGDATABASE.name(), "postgres");
            t = System.nanoTime();
            source.runTool("pgbench", "-i", "-q", "-s", Integer.toString(scale), "postgres");
            String full = backupName(shell(user, backupEnv, walstash + " backup-push --full " + source.dataDirectory()));
            step("pgbench -i -s " + scale + ", then walstash backup-push --full: " + full, t);

            t = System.nanoTime();
            source.runTool("pgbench", "-c", "4", "-j", "2", "-t", Integer.toString(transactions), "postgres");
            String delta = backupName(shell(user, backupEnv, walstash + " backup-push --delta-max-steps 1 "
                    + source.dataDirectory()));
            step("load: 4 clients x " + transactions + " transactions, then a delta backup: " + delta, t);
            out.print(shell(user, backupEnv, walstash + " backup-list --detail"));

            t = System.nanoTime();
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO demo_events (payload) SELECT md5(g::text) FROM generate_series(1, 50000) g");
            }
            DataFingerprint expected;
            String target;
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                expected = DataFingerprint.of(c);
                try (java.sql.ResultSet rs = s.executeQuery("SELECT clock_timestamp()::text")) {
                    rs.next();
                    target = rs.getString(1);
                }
                s.execute("SELECT pg_sleep(0.05)");
                s.execute("INSERT INTO demo_events (payload) SELECT 'after the target ' || g FROM generate_series(1, 1000) g");
                s.execute("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= 1000");
            }
            step("50000 inserts, the recovery target time " + target + ", then changes after it", t);

            t = System.nanoTime();
            String last = source.switchWalAndWaitForArchive(WAIT);
            step("pg_switch_wal() and wait until " + last + " is archived", t);
            RepositoryStats stats = RepositoryStats.of(repository.resolve("wal"));
            out.printf("  archived %d WAL files, %.1f MiB stored; pg_stat_archiver failed_count = %d%n",
                    stats.files(), stats.bytes() / 1048576.0, failedCount(source));
            source.stop();

            t = System.nanoTime();
            shell(user, Map.of(CoreSettings.STORAGE.name(), storage), walstash + " restore " + restored.dataDirectory()
                    + " --target-time '" + target + "' --target-action promote");
            restored.configure(Map.of("archive_mode", "off"));
            restored.start();
            restored.waitForRecoveryEnd(WAIT);
            step("walstash restore --target-time (full + delta + WAL through wal-fetch), start, recover", t);

            DataFingerprint actual;
            try (Connection c = restored.connect()) {
                actual = DataFingerprint.of(c);
            }
            restored.stop();
            Map<String, String> differences = differences(expected, actual);
            if (!differences.isEmpty()) {
                out.printf("FAILED: restored data differ from the source: %s%n", differences);
                return ExitCode.VERIFICATION_FAILED.code();
            }
            out.printf("OK: %d tables, %d rows identical in source and restored cluster (%.1f s in all)%n",
                    expected.tables().size(), expected.totalRows(), (System.nanoTime() - demoStart) / 1e9);
            return ExitCode.OK.code();
        } finally {
            out.flush();
            if (keep) {
                out.printf("  kept %s%n", work);
            } else {
                FileTrees.delete(work);
            }
        }
    }

    /** Runs a walstash command line through the shell as the cluster's OS user; returns its output. */
    private static String shell(OsUser user, Map<String, String> environment, String commandLine) throws IOException {
        return io.walstash.core.postgres.Processes.run(user.wrap(List.of("sh", "-c", commandLine)), environment,
                Duration.ofMinutes(10));
    }

    private static String backupName(String output) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("backup (base_\\S+) done").matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("backup-push printed no backup name: " + output);
        }
        return m.group(1);
    }

    private static long failedCount(LocalCluster cluster) throws java.sql.SQLException {
        try (Connection c = cluster.connect(); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT failed_count FROM pg_stat_archiver")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static Map<String, String> differences(DataFingerprint expected, DataFingerprint actual) {
        Map<String, String> differences = new LinkedHashMap<>();
        expected.tables().forEach((table, fingerprint) -> {
            DataFingerprint.TableFingerprint other = actual.tables().get(table);
            if (!fingerprint.equals(other)) {
                differences.put(table, "source " + fingerprint + ", restored " + other);
            }
        });
        actual.tables().keySet().stream().filter(t -> !expected.tables().containsKey(t))
                .forEach(t -> differences.put(t, "only in the restored cluster"));
        return differences;
    }

    private void step(String what, long startedNanos) {
        out.printf("  %6.1f s  %s%n", (System.nanoTime() - startedNanos) / 1e9, what);
        out.flush();
    }

    private record RepositoryStats(long files, long bytes) {
        static RepositoryStats of(Path walDirectory) throws IOException {
            if (!Files.isDirectory(walDirectory)) {
                return new RepositoryStats(0, 0);
            }
            try (Stream<Path> files = Files.list(walDirectory)) {
                long[] totals = new long[2];
                files.filter(Files::isRegularFile).forEach(p -> {
                    totals[0]++;
                    totals[1] += p.toFile().length();
                });
                return new RepositoryStats(totals[0], totals[1]);
            }
        }
    }

}
