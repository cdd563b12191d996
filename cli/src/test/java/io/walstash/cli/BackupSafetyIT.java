package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Backups of real PostgreSQL where the layout or other runs could get in the way: a data directory
 * whose pg_wal is a link elsewhere (initdb --waldir), restored with pg_wal as a directory and with
 * --waldir, under umask 022, started and compared with the source; two backup-push runs that start
 * in the same WAL segment.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class BackupSafetyIT {
    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final Pattern DONE = Pattern.compile("backup (base_\\S+) done");

    private Path work;
    private Path repository;
    private OsUser user;
    private PostgresBinaries binaries;

    @BeforeEach
    void setUp() throws Exception {
        binaries = PostgresBinaries.find(System.getenv());
        user = OsUser.current();
        work = Files.createTempDirectory("walstash-backup-safety-it-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        user.own(work);
        repository = work.resolve("repository");
    }

    @AfterEach
    void tearDown() throws Exception {
        FileTrees.delete(work);
    }

    /** The launcher as the cluster's OS user under umask 022, so nothing owner-only comes from the umask. */
    private Processes.Outcome walstashUnderUmask022(Map<String, String> env, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "umask 022 && exec \"$0\" \"$@\"",
                Launcher.path().toString()));
        command.addAll(List.of(arguments));
        return Processes.runAllowingFailure(user.wrap(command), Launcher.withCache(env), Duration.ofMinutes(10));
    }

    private LocalCluster restoreAndStart(Path target, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("restore", target.toString(), "LATEST"));
        args.addAll(List.of(options));
        Processes.Outcome outcome = walstashUnderUmask022(Map.of("WALSTASH_STORAGE", "file://" + repository),
                args.toArray(String[]::new));
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        LocalCluster restored = LocalCluster.existing(binaries, user, target, work);
        restored.configure(Map.of("archive_mode", "off"));
        restored.start();
        restored.waitForRecoveryEnd(WAIT);
        return restored;
    }

    private static void assertOwnerOnly(Path root) throws Exception {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(p -> !Files.isSymbolicLink(p)).toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertThat(mode).as(p.toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
    }

    @Test
    void aClusterWithPgWalElsewhereIsBackedUpRestoredAndStarts() throws Exception {
        Path sourceWal = work.resolve("source-wal");
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work,
                List.of("--waldir=" + sourceWal))) {
            assertThat(Files.isSymbolicLink(source.dataDirectory().resolve("pg_wal"))).isTrue();
            Path stray = work.resolve("stray.conf");
            Files.writeString(stray, "# kept outside\n");
            Files.createSymbolicLink(source.dataDirectory().resolve("stray.conf"), stray);
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command",
                    "WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
            source.start();
            source.runTool("pgbench", "-i", "-q", "-s", "1", "postgres");
            Processes.Outcome push = Launcher.run(user, Launcher.libpqEnvironment(repository, source),
                    "backup-push", source.dataDirectory().toString(), "--full");
            assertThat(push.exitCode()).as(push.output()).isZero();
            Matcher done = DONE.matcher(push.output());
            assertThat(done.find()).as(push.output()).isTrue();
            assertThat(push.output()).contains("WARNING: not backed up: symbolic link \"stray.conf\"")
                    .contains("pg_wal is a symbolic link");
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE after_backup AS SELECT g AS id FROM generate_series(1, 1000) g");
            }
            source.switchWalAndWaitForArchive(WAIT);
            DataFingerprint expected;
            try (Connection c = source.connect()) {
                expected = DataFingerprint.of(c);
            }
            source.stop();

            Path plain = work.resolve("restored");
            try (LocalCluster restored = restoreAndStart(plain)) {
                try (Connection c = restored.connect()) {
                    assertThat(DataFingerprint.of(c)).isEqualTo(expected);
                }
                restored.stop();
            }
            assertThat(Files.isDirectory(plain.resolve("pg_wal"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
            assertThat(plain.resolve("stray.conf")).doesNotExist();

            Path elsewhere = work.resolve("restored-elsewhere");
            Path wal = work.resolve("restored-wal");
            String[] options = {"--waldir", wal.toString()};
            // the restore itself, before PostgreSQL adds files of its own, is owner-only under umask 022
            Processes.Outcome fetched = walstashUnderUmask022(Map.of("WALSTASH_STORAGE", "file://" + repository),
                    "backup-fetch", elsewhere.toString(), "LATEST", "--waldir", wal.toString());
            assertThat(fetched.exitCode()).as(fetched.output()).isZero();
            assertOwnerOnly(elsewhere);
            assertOwnerOnly(wal);
            try (LocalCluster restored = restoreAndStart(elsewhere, withForce(options))) {
                try (Connection c = restored.connect()) {
                    assertThat(DataFingerprint.of(c)).isEqualTo(expected);
                }
                restored.stop();
            }
            assertThat(Files.readSymbolicLink(elsewhere.resolve("pg_wal"))).isEqualTo(wal);
            try (Stream<Path> segments = Files.list(wal)) {
                assertThat(segments.map(p -> p.getFileName().toString())).anyMatch(n -> n.matches("[0-9A-F]{24}"));
            }
        }
    }

    private static String[] withForce(String[] options) {
        List<String> all = new ArrayList<>(List.of(options));
        all.add("--force");
        return all.toArray(String[]::new);
    }

    /**
     * Two runs of one idle cluster that begin in the same WAL segment want the same name: both must
     * commit, under different names, each with all its objects (before the claim, the second deleted
     * the first's objects as "leftovers"). To make the overlap certain on a busy machine, the first
     * run is frozen (SIGSTOP) as soon as its backup folder appears, between pg_backup_start and
     * pg_backup_stop, while the second runs from start to end; then it is let go.
     */
    @Test
    void twoPushesStartingInOneSegmentBothCommitWhole() throws Exception {
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command",
                    "WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
            source.start();
            source.runTool("pgbench", "-i", "-q", "-s", "4", "postgres");
            source.switchWalAndWaitForArchive(WAIT);
            String segment = currentSegment(source);
            String walgName = "base_" + segment;
            Map<String, String> env = Launcher.libpqEnvironment(repository, source);
            env.put("WALSTASH_UPLOAD_CONCURRENCY", "1");

            List<String> command = new ArrayList<>(List.of(Launcher.path().toString(), "backup-push",
                    source.dataDirectory().toString(), "--full"));
            ProcessBuilder builder = new ProcessBuilder(user.wrap(command)).redirectErrorStream(true)
                    .redirectOutput(work.resolve("first.log").toFile());
            builder.environment().putAll(Launcher.withCache(env));
            Process first = builder.start();
            try {
                Path folder = repository.resolve("backups").resolve(walgName);
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!Files.exists(folder)) {
                    assertThat(first.isAlive()).as("first run ended early: %s", Files.readString(work.resolve("first.log"))).isTrue();
                    assertThat(System.nanoTime()).as("first run's backup folder never appeared").isLessThan(deadline);
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L); // polls a file: bounded by the deadline
                }
                signal(first, "-STOP");
                assertThat(currentSegment(source)).as("the first run was frozen before pg_backup_stop").isEqualTo(segment);

                Processes.Outcome second = Launcher.run(user, env, "backup-push", source.dataDirectory().toString(), "--full");
                assertThat(second.exitCode()).as(second.output()).isZero();
                assertThat(second.output()).contains("backup " + walgName + "_2 done");

                signal(first, "-CONT");
                assertThat(first.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
                String output = Files.readString(work.resolve("first.log"));
                assertThat(first.exitValue()).as(output).isZero();
                assertThat(output).contains("backup " + walgName + " done");
            } finally {
                if (first.isAlive()) {
                    signal(first, "-CONT");
                    first.destroyForcibly();
                }
            }
            for (String name : List.of(walgName, walgName + "_2")) {
                Processes.Outcome verify = Launcher.run(user, env, "backup-verify", name);
                assertThat(verify.exitCode()).as(name + ": " + verify.output()).isZero();
            }
            source.stop();
        }
    }

    private static String currentSegment(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_current_wal_lsn())")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Sends {@code signal} to {@code process} and everything it started (runuser, the launcher's shell, the JVM). */
    private static void signal(Process process, String signal) throws Exception {
        List<String> kill = new ArrayList<>(List.of("kill", signal));
        kill.add(Long.toString(process.pid()));
        process.descendants().forEach(d -> kill.add(Long.toString(d.pid())));
        Processes.run(kill, Map.of(), Duration.ofSeconds(30));
    }
}
