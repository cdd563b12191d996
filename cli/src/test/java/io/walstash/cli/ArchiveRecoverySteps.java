package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.PrefetchDirectory;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.wal.SegmentFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The two halves of an archive-and-recover test, shared by the ITs that recover through wal-fetch. */
public final class ArchiveRecoverySteps {
    private ArchiveRecoverySteps() {
    }

    /**
     * Loads {@code source}: pgbench at {@code scale} with {@code clients} clients of {@code transactions}
     * each, then a table {@code events} of {@code rows} rows.
     */
    public static void load(LocalCluster source, int scale, int clients, int transactions, int rows) throws IOException, SQLException {
        source.runTool("pgbench", "-i", "-q", "-s", Integer.toString(scale), "postgres");
        source.runTool("pgbench", "-c", Integer.toString(clients), "-j", "2", "-t", Integer.toString(transactions), "postgres");
        try (Connection c = source.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE events (id bigserial PRIMARY KEY, payload text)");
            s.execute("INSERT INTO events (payload) SELECT repeat(md5(g::text), 4) FROM generate_series(1, " + rows + ") g");
        }
    }

    /**
     * Switches WAL and waits until the source archived it, checks that nothing failed and at least
     * {@code minimumSegments} were archived, and stops the source; returns its data's fingerprint.
     */
    public static DataFingerprint archiveAndStop(LocalCluster source, Duration wait, int minimumSegments)
            throws IOException, SQLException {
        source.switchWalAndWaitForArchive(wait);
        DataFingerprint expected;
        try (Connection c = source.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT failed_count, archived_count FROM pg_stat_archiver")) {
            rs.next();
            assertThat(rs.getLong(1)).as("pg_stat_archiver.failed_count").isZero();
            assertThat(rs.getLong(2)).as("segments archived").isGreaterThanOrEqualTo(minimumSegments);
            expected = DataFingerprint.of(c);
        }
        source.stop();
        return expected;
    }

    /**
     * A long WAL chain quickly: creates table {@code events} on {@code source} and writes
     * {@code switches} segments of 2,000 rows each, switching WAL after each; then archives and
     * stops the source as {@link #archiveAndStop} does, and returns its data's fingerprint.
     */
    static DataFingerprint loadSwitchesArchiveAndStop(LocalCluster source, Duration wait, int switches)
            throws IOException, SQLException {
        try (Connection c = source.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE events (id bigint PRIMARY KEY, payload text)");
            for (int i = 0; i < switches; i++) {
                s.execute("INSERT INTO events SELECT g, md5(g::text) FROM generate_series("
                        + (i * 2000 + 1) + ", " + ((i + 1) * 2000) + ") g");
                s.execute("SELECT pg_switch_wal()");
            }
        }
        DataFingerprint expected = archiveAndStop(source, wait, switches);
        assertThat(expected.tables().get("events").rows()).isEqualTo(switches * 2000L);
        return expected;
    }

    /** The environment of a restore or archive command that reaches {@code bucket} on {@code s3} as WAL-G's would. */
    static String s3Environment(io.walstash.storage.s3.S3ProxyServer s3, String bucket) {
        return "WALG_S3_PREFIX=s3://" + bucket + "/pg-primary"
                + " AWS_ENDPOINT=" + s3.endpoint() + " AWS_S3_FORCE_PATH_STYLE=true AWS_REGION="
                + io.walstash.storage.s3.S3ProxyServer.REGION
                + " AWS_ACCESS_KEY_ID=" + io.walstash.storage.s3.S3ProxyServer.ACCESS_KEY
                + " AWS_SECRET_ACCESS_KEY=" + io.walstash.storage.s3.S3ProxyServer.SECRET_KEY;
    }

    /**
     * Bounded wait for the detached prefetch worker, which reports nothing back but the file it renames
     * into place: the prefetched file of {@code segment} in {@code directory}.
     */
    static PrefetchDirectory.Prefetched awaitPrefetched(PrefetchDirectory directory, String segment, Duration wait)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Optional<PrefetchDirectory.Prefetched> found = directory.find(SegmentFileName.parse(segment));
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() > deadline) {
                Path log = directory.path().resolve("worker.log");
                throw new AssertionError(segment + " was not prefetched into " + directory + " within " + wait.toSeconds()
                        + " s; worker log: " + (Files.exists(log) ? Files.readString(log) : "none"));
            }
            Thread.sleep(50); // polling interval of a bounded wait on another process
        }
    }

    /**
     * Starts {@code restored} (a base backup without WAL) in archive recovery with {@code restoreCommand},
     * waits for the end of recovery and checks that its data equal {@code expected}; returns its log.
     */
    public static String recoverAndCompare(LocalCluster restored, OsUser user, String restoreCommand, Duration wait,
                                    DataFingerprint expected) throws IOException, SQLException {
        Path signal = Files.createFile(restored.dataDirectory().resolve("recovery.signal"));
        user.own(signal);
        restored.configure(Map.of("archive_mode", "off", "restore_command", restoreCommand));
        restored.start();
        restored.waitForRecoveryEnd(wait);
        try (Connection c = restored.connect()) {
            assertThat(DataFingerprint.of(c)).isEqualTo(expected);
        }
        return restored.readLog();
    }

    /**
     * Starts {@code target}, which {@code walstash restore} filled, without archiving, waits for the end
     * of its recovery and checks that its data equal {@code expected}; the caller closes it.
     */
    static LocalCluster startRestoredAndCompare(io.walstash.core.postgres.PostgresBinaries binaries, OsUser user,
                                                Path target, Path socketDirectory, Duration wait,
                                                DataFingerprint expected) throws IOException, SQLException {
        LocalCluster restored = LocalCluster.existing(binaries, user, target, socketDirectory);
        try {
            restored.configure(Map.of("archive_mode", "off"));
            restored.start();
            restored.waitForRecoveryEnd(wait);
            try (Connection c = restored.connect()) {
                assertThat(DataFingerprint.of(c)).isEqualTo(expected);
            }
            return restored;
        } catch (IOException | SQLException | RuntimeException | AssertionError e) {
            restored.close();
            throw e;
        }
    }
}
