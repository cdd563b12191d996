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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real PostgreSQL archives its WAL through the built launcher (archive_command = wal-push) while
 * pgbench writes; a second cluster made from a pg_basebackup taken at the start, without WAL,
 * recovers from the archive alone (restore_command = wal-fetch) and must hold the same data.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ArchiveRecoveryIT {
    private static final Duration WAIT = Duration.ofMinutes(4);

    private Path work;
    private OsUser user;
    private PostgresBinaries binaries;

    @BeforeEach
    void setUp() throws Exception {
        binaries = PostgresBinaries.find(System.getenv());
        user = OsUser.current();
        work = Files.createTempDirectory("walstash-it-");
        user.own(work);
    }

    @AfterEach
    void tearDown() throws Exception {
        FileTrees.delete(work);
    }

    @Test
    void clusterRecoveredFromTheArchiveHoldsTheSameData() throws Exception {
        // configured only through WAL-G's names, as an existing WAL-G setup would be
        archiveLoadAndRecover(List.of(), "WALG_FILE_PREFIX=%s WALG_COMPRESSION_METHOD=lz4", "lz4", 3);
    }

    @Test
    void segmentSizeIsReadFromTheClusterNotAssumed() throws Exception {
        archiveLoadAndRecover(List.of("--wal-segsize=64"), "WALSTASH_STORAGE=file://%s", "zst", 1);
    }

    private void archiveLoadAndRecover(List<String> initdbOptions, String environment, String extension, int minimumSegments)
            throws Exception {
        Path repository = work.resolve("repository");
        String launcher = Launcher.path().toString();
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work, initdbOptions);
             LocalCluster restored = LocalCluster.existing(binaries, user, work.resolve("restored"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", String.format(environment, repository) + " " + launcher + " wal-push %p"));
            source.start();
            source.runTool("pg_basebackup", "-D", restored.dataDirectory().toString(), "-X", "none", "-c", "fast");

            source.runTool("pgbench", "-i", "-q", "-s", "3", "postgres");
            source.runTool("pgbench", "-c", "4", "-j", "2", "-t", "1500", "postgres");
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE events (id bigserial PRIMARY KEY, payload text)");
                s.execute("INSERT INTO events (payload) SELECT repeat(md5(g::text), 4) FROM generate_series(1, 20000) g");
            }
            source.switchWalAndWaitForArchive(WAIT);
            DataFingerprint expected;
            try (Connection c = source.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT failed_count, archived_count FROM pg_stat_archiver")) {
                rs.next();
                assertThat(rs.getLong(1)).as("pg_stat_archiver.failed_count").isZero();
                assertThat(rs.getLong(2)).as("segments archived").isGreaterThanOrEqualTo(minimumSegments);
                expected = DataFingerprint.of(c);
            }
            source.stop();
            assertThat(expected.tables()).containsKeys("pgbench_accounts", "pgbench_history", "events");
            assertThat(expected.tables().get("pgbench_history").rows()).isEqualTo(4 * 1500);
            try (Stream<Path> stored = Files.list(repository.resolve("wal"))) {
                assertThat(stored.map(p -> p.getFileName().toString()))
                        .isNotEmpty()
                        .allMatch(n -> n.endsWith("." + extension));
            }

            Path signal = Files.createFile(restored.dataDirectory().resolve("recovery.signal"));
            user.own(signal);
            restored.configure(Map.of("archive_mode", "off",
                    "restore_command", "WALSTASH_STORAGE=file://" + repository + " " + launcher + " wal-fetch %f %p"));
            restored.start();
            restored.waitForRecoveryEnd(WAIT);
            try (Connection c = restored.connect()) {
                assertThat(DataFingerprint.of(c)).isEqualTo(expected);
            }
            assertThat(restored.readLog()).contains("restored log file").doesNotContain("wal-fetch: error");
        }
    }

    @Test
    void demoRunsEndToEndThroughTheLauncher() throws Exception {
        Processes.Outcome outcome = Launcher.run(new OsUser(java.util.Optional.empty()), Map.of(),
                "demo", "--scale", "1", "--transactions", "200");
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        assertThat(outcome.output())
                .contains("wal-push")
                .contains("archived")
                .containsPattern("OK: 5 tables, \\d+ rows identical");
    }
}
