package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * backup-push against a hot standby: a primary archiving with wal-push and a streaming standby made
 * by pg_basebackup -R, one pair for the class. The backup is taken from the standby under pgbench on
 * the primary and restored to a point in time; then a standby promoted while a backup waits for its
 * WAL fails that backup.
 */
@Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandbyBackupIT {
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final Pattern DONE = Pattern.compile("backup (base_\\S+) done");

    private ReplicaPair pair;
    private Path work;
    private Path repository;
    private OsUser user;
    private PostgresBinaries binaries;
    private LocalCluster primary;
    private LocalCluster standby;

    @BeforeAll
    void startPair() throws Exception {
        pair = ReplicaPair.start("walstash-standby-it-", List.of(), Map.of());
        work = pair.work();
        repository = pair.repository();
        user = pair.user();
        binaries = pair.binaries();
        primary = pair.primary();
        standby = pair.standby();
        primary.runTool("pgbench", "-i", "-q", "-s", "2", "postgres");
        execute(primary, "CREATE TABLE ticks (at timestamptz)");
        primary.switchWalAndWaitForArchive(WAIT);
    }

    @AfterAll
    void stopPair() throws Exception {
        pair.close();
    }

    private Map<String, String> standbyEnvironment() {
        return Launcher.libpqEnvironment(repository, standby);
    }

    private static void execute(LocalCluster cluster, String sql) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Waits (bounded) until the standby replayed everything the primary wrote so far. */
    private void awaitReplay() throws Exception {
        String target;
        try (Connection c = primary.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            target = rs.getString(1);
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (Connection c = standby.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return;
                }
            }
            assertThat(System.nanoTime()).as("standby replayed up to " + target).isLessThan(deadline);
            Thread.sleep(50); // polling interval of a bounded wait on replication
        }
    }

    @Test
    @Order(1)
    void backupFromTheStandbyUnderLoadRestoresToAPointInTimeLikeThePrimary() throws Exception {
        CompletableFuture<String> load = CompletableFuture.supplyAsync(() -> {
            try {
                return primary.runTool("pgbench", "-c", "2", "-j", "2", "-t", "1500", "postgres");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        // the standby cannot switch WAL: its stop segment comes when the primary archives it, which
        // pgbench's WAL brings about, or the switch below once pgbench is done
        BackgroundLauncher backup = BackgroundLauncher.start(user, standbyEnvironment(), work.resolve("backup1.log"),
                "backup-push", standby.dataDirectory().toString(), "--full");
        load.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        // WAL on the primary until the backup's stop segment is archived (archive_timeout is off)
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (backup.isAlive() && System.nanoTime() < deadline) {
            execute(primary, "INSERT INTO ticks VALUES (clock_timestamp())");
            primary.switchWalAndWaitForArchive(WAIT);
        }
        assertThat(backup.awaitExit(WAIT)).as(backup.output()).isZero();
        String output = backup.output();
        assertThat(output).contains("the server is a standby");
        Matcher done = DONE.matcher(output);
        assertThat(done.find()).as(output).isTrue();
        String name = done.group(1);

        try (Connection c = primary.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE marks (id int)");
            s.execute("INSERT INTO marks VALUES (1)");
            s.execute("SELECT pg_create_restore_point('after_standby_backup')");
        }
        DataFingerprint expected;
        try (Connection c = primary.connect()) {
            expected = DataFingerprint.of(c);
        }
        try (Connection c = primary.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO marks VALUES (2)"); // after the target: must not be restored
        }
        primary.switchWalAndWaitForArchive(WAIT);

        Processes.Outcome list = Launcher.run(user, standbyEnvironment(), "backup-list", "--json", "--detail");
        assertThat(list.exitCode()).as(list.output()).isZero();
        JsonNode rows = new ObjectMapper().readTree(list.output().substring(list.output().indexOf('[')));
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("name").asText()).isEqualTo(name);
        assertThat(rows.get(0).get("from_standby").asBoolean()).as(list.output()).isTrue();
        Processes.Outcome detail = Launcher.run(user, standbyEnvironment(), "backup-list", "--detail");
        assertThat(detail.output()).contains(" standby ");

        Path target = work.resolve("restored");
        Processes.Outcome restore = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository), "restore",
                target.toString(), name, "--target-name", "after_standby_backup", "--target-action", "promote");
        assertThat(restore.exitCode()).as(restore.output()).isZero();
        try (LocalCluster restored = ArchiveRecoverySteps.startRestoredAndCompare(binaries, user, target, work, WAIT,
                expected)) {
            assertThat(restored.readLog()).contains("recovery stopping at restore point \"after_standby_backup\"");
        }
    }

    /**
     * A checkpoint the standby replays, so that the next backup's restartpoint (and stop point) lies
     * in a segment the primary has not archived; the primary then writes nothing, so that backup waits.
     */
    private void stopSegmentNotArchived() throws Exception {
        execute(primary, "INSERT INTO ticks VALUES (clock_timestamp())");
        execute(primary, "CHECKPOINT");
        awaitReplay();
    }

    @Test
    @Order(2)
    void aBackupWhoseStopSegmentIsNotArchivedInTimeFailsWithOneLineAndCommitsNothing() throws Exception {
        int before = manifests();
        stopSegmentNotArchived();
        Map<String, String> env = standbyEnvironment();
        env.put("WALSTASH_BACKUP_STOP_TIMEOUT", "2s");
        Processes.Outcome backup = Launcher.run(user, env, "backup-push", standby.dataDirectory().toString(), "--full");
        assertThat(backup.exitCode()).as(backup.output()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(backup.output().lines().filter(l -> l.startsWith("walstash: error:")).toList()).singleElement().asString()
                .contains("was not archived by the primary within 2 s").contains("WALSTASH_BACKUP_STOP_TIMEOUT");
        assertThat(manifests()).as("no backup committed").isEqualTo(before);
    }

    @Test
    @Order(3)
    void aStandbyPromotedWhileTheBackupWaitsForItsWalFailsTheBackup() throws Exception {
        int before = manifests();
        stopSegmentNotArchived();
        BackgroundLauncher backup = BackgroundLauncher.start(user, standbyEnvironment(), work.resolve("backup2.log"),
                "backup-push", standby.dataDirectory().toString(), "--full");
        backup.awaitOutput(Pattern.compile("waiting for the primary to archive"), 1, WAIT);
        standby.runTool("pg_ctl", "-D", standby.dataDirectory().toString(), "-w", "promote");
        int exit = backup.awaitExit(WAIT);
        String output = backup.output();
        assertThat(exit).as(output).isEqualTo(ExitCode.POSTGRES.code());
        assertThat(output).contains("walstash: error: the standby was promoted");
        assertThat(output.lines().filter(l -> l.startsWith("walstash: error:")).count()).isEqualTo(1);
        assertThat(manifests()).as("no backup committed").isEqualTo(before);
    }

    private int manifests() throws Exception {
        try (Stream<Path> files = Files.walk(repository.resolve("backups"))) {
            return (int) files.filter(p -> p.getFileName().toString().equals("manifest.json")).count();
        }
    }
}
