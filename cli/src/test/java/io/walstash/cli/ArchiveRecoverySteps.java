package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

/** The two halves of an archive-and-recover test, shared by the ITs that recover through wal-fetch. */
final class ArchiveRecoverySteps {
    private ArchiveRecoverySteps() {
    }

    /**
     * Loads {@code source}: pgbench at {@code scale} with {@code clients} clients of {@code transactions}
     * each, then a table {@code events} of {@code rows} rows.
     */
    static void load(LocalCluster source, int scale, int clients, int transactions, int rows) throws IOException, SQLException {
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
    static DataFingerprint archiveAndStop(LocalCluster source, Duration wait, int minimumSegments)
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
     * Starts {@code restored} (a base backup without WAL) in archive recovery with {@code restoreCommand},
     * waits for the end of recovery and checks that its data equal {@code expected}; returns its log.
     */
    static String recoverAndCompare(LocalCluster restored, OsUser user, String restoreCommand, Duration wait,
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
}
