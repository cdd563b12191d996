package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18: a wal-fetch that fails for any reason but a verified absence never ends an archive
 * recovery early. PostgreSQL runs the packaged launcher as restore_command; the object it cannot
 * read (permission denied, corrupt, storage down) must stop the server, which never promotes, and
 * a restart after the cause is fixed recovers every row. A standby keeps the ordinary answer.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class RecoveryStopsIT extends EndToEndTest {
    /**
     * The command line serves every call: the wait-out lines this test reads go to PostgreSQL's log
     * only from a call served in process (a daemon's go to its own log, a known gap in README).
     */
    private static final String NO_DAEMON = "WALSTASH_DAEMON=off ";

    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final String STOPPED = "walstash: error: recovery stopped: cannot fetch ";

    @AfterEach
    void tearDown() throws Exception {
        if (!S3.isRunning()) {
            S3.restart();
        }
    }

    @Test
    void unreadableThenCorruptObjectStopsRecoveryUntilRepaired() throws Exception {
        Path repository = work.resolve("repository");
        String storage = NO_DAEMON + "WALSTASH_STORAGE=file://" + repository;
        String launcher = Launcher.path().toString();
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work);
             LocalCluster restored = LocalCluster.existing(binaries, user, work.resolve("restored"), work)) {
            DataFingerprint expected = archiveSwitches(source, restored, storage, 12);
            List<Path> segments = storedSegments(repository.resolve("wal"));
            // far enough apart that prefetch (4 ahead) cannot have taken the second before it rots
            Path unreadable = segments.get(4);
            Path corrupt = segments.get(10);

            // (a) permission denied in the middle of the chain (the test runs as root, PostgreSQL does not)
            Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
            String shortWait = storage + " WALSTASH_FETCH_OUTAGE_WAIT=2s " + launcher + " wal-fetch %f %p";
            startRecovery(restored, shortWait);
            String log = awaitServerStopped(restored);
            String name = stem(unreadable);
            assertThat(log).contains(STOPPED + name).contains("permission denied")
                    .contains("exit code 128");
            assertNeverPromoted(restored, log);

            // (c) readable again, but a later object rotted: a fresh download fails alike, recovery stops there
            Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("rw-r--r--"));
            byte[] original = Files.readAllBytes(corrupt);
            byte[] damaged = original.clone();
            damaged[damaged.length - 9] ^= 0x5a;
            Files.write(corrupt, damaged);
            truncateLog(restored);
            startAllowingStop(restored);
            log = awaitServerStopped(restored);
            assertThat(log).contains("restored log file \"" + name + "\" from archive")
                    .contains(STOPPED + stem(corrupt));
            assertNeverPromoted(restored, log);

            // (e) repaired: recovery resumes and ends at the true end of the archive at once, without
            // waiting out an outage that is not there (the wait bound here is far longer than the run)
            Files.write(corrupt, original);
            restored.configure(Map.of("restore_command",
                    storage + " WALSTASH_FETCH_OUTAGE_WAIT=10m " + launcher + " wal-fetch %f %p"));
            truncateLog(restored);
            long started = System.nanoTime();
            restored.start();
            restored.waitForRecoveryEnd(WAIT);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            try (Connection c = restored.connect()) {
                assertThat(DataFingerprint.of(c)).isEqualTo(expected);
            }
            log = restored.readLog();
            assertThat(log).contains("archive recovery complete").doesNotContain("walstash: error")
                    .doesNotContain("waiting up to");
            assertThat(took).as("recovery after the repair").isLessThan(Duration.ofMinutes(2));
        }
    }

    @Test
    void storageOutageIsWaitedOutWithinTheBoundAndStopsRecoveryBeyondIt() throws Exception {
        String s3 = NO_DAEMON + ArchiveRecoverySteps.s3Environment(S3, S3.newBucket());
        String launcher = Launcher.path().toString();
        // prefetch off: every segment is read from storage while it is down
        String fetch = s3 + " WALSTASH_DOWNLOAD_CONCURRENCY=0 WALSTASH_FETCH_ATTEMPTS=2";
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work);
             LocalCluster restored = LocalCluster.existing(binaries, user, work.resolve("restored"), work)) {
            DataFingerprint expected = archiveSwitches(source, restored, s3, 20);

            // down longer than the bound (2 s): the recovery stops instead of ending early
            startRecovery(restored, fetch + " WALSTASH_FETCH_OUTAGE_WAIT=2s " + launcher + " wal-fetch %f %p");
            awaitReady(restored); // consistent: hot standby answers
            S3.stop();
            String log = awaitServerStopped(restored);
            assertThat(log).contains(STOPPED).contains("WALSTASH_FETCH_OUTAGE_WAIT");
            assertNeverPromoted(restored, log);

            // down shorter than the bound (3 min): the fetch waits, one line per try, and recovery completes
            S3.restart();
            restored.configure(Map.of("restore_command",
                    fetch + " WALSTASH_FETCH_OUTAGE_WAIT=3m " + launcher + " wal-fetch %f %p"));
            truncateLog(restored);
            restored.start();
            S3.stop();
            await("a wal-fetch waiting for storage", () -> restored.readLog().contains("waiting up to 180 s for storage"));
            S3.restart();
            restored.waitForRecoveryEnd(WAIT);
            try (Connection c = restored.connect()) {
                assertThat(DataFingerprint.of(c)).isEqualTo(expected);
            }
            log = restored.readLog();
            assertThat(log).doesNotContain("walstash: error").contains("archive recovery complete");
        }
    }

    @Test
    void standbyFedByRestoreCommandSurvivesAnOutageAndCatchesUp() throws Exception {
        String s3 = NO_DAEMON + ArchiveRecoverySteps.s3Environment(S3, S3.newBucket());
        String launcher = Launcher.path().toString();
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work);
             LocalCluster standby = LocalCluster.existing(binaries, user, work.resolve("standby"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", s3 + " " + launcher + " wal-push %p"));
            source.start();
            source.runTool("pg_basebackup", "-D", standby.dataDirectory().toString(), "-X", "none", "-c", "fast");
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE events (id bigint PRIMARY KEY)");
                s.execute("INSERT INTO events SELECT g FROM generate_series(1, 1000) g");
            }
            source.switchWalAndWaitForArchive(WAIT);

            Path signal = Files.createFile(standby.dataDirectory().resolve("standby.signal"));
            user.own(signal);
            // a long outage wait: a standby must not use it (it would stop the server, or hold it up)
            standby.configure(Map.of("archive_mode", "off", "wal_retrieve_retry_interval", "1s",
                    "restore_command", s3 + " WALSTASH_FETCH_OUTAGE_WAIT=10m " + launcher + " wal-fetch %f %p"));
            standby.start();
            awaitRows(standby, 1000);

            S3.stop();
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO events SELECT g FROM generate_series(1001, 2000) g");
                s.execute("SELECT pg_switch_wal()");
            }
            // the standby keeps asking, each call failing with an ordinary code
            await("standby's failed fetches", () -> standby.readLog().lines()
                    .filter(l -> l.startsWith("walstash: error: ")).count() >= 2);
            S3.restart();
            awaitRows(standby, 2000);
            String log = standby.readLog();
            assertThat(log).doesNotContain("recovery stopped").doesNotContain("FATAL");
            try (Connection c = standby.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                assertThat(rs.getBoolean(1)).as("still a standby").isTrue();
            }
        }
    }

    /**
     * Archives a base backup's worth of WAL from a fresh {@code source} into the repository that
     * {@code environment} names: {@code restored} is a pg_basebackup without WAL, then {@code switches}
     * segments each hold 2,000 new rows. Returns the source's data.
     */
    private DataFingerprint archiveSwitches(LocalCluster source, LocalCluster restored, String environment, int switches)
            throws IOException, SQLException {
        source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                "archive_command", environment + " " + Launcher.path() + " wal-push %p"));
        source.start();
        source.runTool("pg_basebackup", "-D", restored.dataDirectory().toString(), "-X", "none", "-c", "fast");
        return ArchiveRecoverySteps.loadSwitchesArchiveAndStop(source, WAIT, switches);
    }

    private void startRecovery(LocalCluster restored, String restoreCommand) throws IOException {
        Path signal = Files.createFile(restored.dataDirectory().resolve("recovery.signal"));
        user.own(signal);
        restored.configure(Map.of("archive_mode", "off", "restore_command", restoreCommand));
        startAllowingStop(restored);
    }

    private static void startAllowingStop(LocalCluster restored) {
        try {
            restored.start();
        } catch (IOException e) {
            // pg_ctl reports a server that stopped before it was consistent as a failed start;
            // the callers look at what the server did
        }
    }

    /** Waits until the postmaster is gone; returns the server log. */
    private static String awaitServerStopped(LocalCluster cluster) throws Exception {
        Path pid = cluster.dataDirectory().resolve("postmaster.pid");
        await("the server to stop\n" + cluster.readLog(), () -> !Files.exists(pid));
        return cluster.readLog();
    }

    private static void awaitReady(LocalCluster cluster) throws Exception {
        await("the server to accept connections", () -> {
            try (Connection c = cluster.connect()) {
                return true;
            } catch (SQLException e) {
                return false;
            }
        });
    }

    private static void awaitRows(LocalCluster cluster, long rows) throws Exception {
        await(rows + " rows on the standby", () -> {
            try (Connection c = cluster.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM events")) {
                rs.next();
                return rs.getLong(1) == rows;
            } catch (SQLException e) {
                return false; // not replayed that far yet
            }
        });
    }

    /** Never promoted: no "archive recovery complete", no new timeline, the data directory still in recovery. */
    private static void assertNeverPromoted(LocalCluster cluster, String log) throws IOException {
        assertThat(log).contains("FATAL").doesNotContain("archive recovery complete")
                .doesNotContain("selected new timeline ID");
        assertThat(cluster.dataDirectory().resolve("recovery.signal")).exists();
        try (Stream<Path> wal = Files.list(cluster.dataDirectory().resolve("pg_wal"))) {
            assertThat(wal.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".history"));
        }
    }

    private static void truncateLog(LocalCluster cluster) throws IOException {
        Files.write(cluster.logFile(), new byte[0]);
    }

    private static List<Path> storedSegments(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}\\.zst")).sorted().toList();
        }
    }

    private static String stem(Path object) {
        String name = object.getFileName().toString();
        return name.substring(0, name.indexOf('.'));
    }

    private static void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + WAIT.toSeconds() + " s for " + what);
            }
            Thread.sleep(100); // polling interval of a bounded wait on another process
        }
    }
}
