package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WebhookReceiver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * maintain and check's PostgreSQL side through the built launcher against one real PostgreSQL
 * (shared by every test) archiving with wal-push into a file:// repository: two maintain runs with
 * retain 1 leave one backup and no WAL before it, each run sends one summary; a run whose backup
 * step fails exits with that step's code and its one notification names the step; check sees a
 * forced segment arrive in this repository, not in another, and an archive_command without walstash.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class MaintainIT {
    private static final Duration WAIT = Duration.ofMinutes(4);

    private static Path work;
    private static Path repository;
    private static OsUser user;
    private static LocalCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        PostgresBinaries binaries = PostgresBinaries.find(System.getenv());
        user = OsUser.current();
        work = Files.createTempDirectory("walstash-maintain-it-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        user.own(work);
        repository = work.resolve("repository");
        cluster = LocalCluster.initdb(binaries, user, work.resolve("pg"), work);
        cluster.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command",
                "WALSTASH_DAEMON=off WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
        cluster.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (work != null) {
            FileTrees.delete(work);
        }
    }

    private static void write() throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS t (id int)");
            s.execute("INSERT INTO t SELECT generate_series(1, 1000)");
        }
        cluster.switchWalAndWaitForArchive(WAIT);
    }

    private static List<String> backups() throws Exception {
        if (!Files.isDirectory(repository.resolve("backups"))) {
            return List.of();
        }
        try (Stream<Path> folders = Files.list(repository.resolve("backups"))) {
            // a backup is a folder with a manifest (file:// storage may leave an emptied folder's directory behind)
            return folders.filter(p -> Files.exists(p.resolve("manifest.json"))).map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("base_")).sorted().toList();
        }
    }

    private static List<String> segments() throws Exception {
        try (Stream<Path> stored = Files.list(repository.resolve("wal"))) {
            return stored.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}\\..*"))
                    .map(n -> n.substring(0, 24)).sorted().toList();
        }
    }

    @Test
    void twoRunsWithRetainOneLeaveOneBackupAndNoWalBeforeIt() throws Exception {
        try (WebhookReceiver webhook = WebhookReceiver.start(204)) {
            Map<String, String> env = Launcher.libpqEnvironment(repository, cluster);
            env.put("WALG_RETAIN_BACKUPS", "1");
            env.put("WALSTASH_NOTIFY_WEBHOOK", webhook.url("/hooks/maintain-secret"));
            write();
            Processes.Outcome first = Launcher.run(user, env, "maintain", cluster.dataDirectory().toString());
            assertThat(first.exitCode()).as(first.output()).isZero();
            assertThat(first.output()).contains("backup: full backup base_", "retention: retain ALL 1: deleted 0 backup folder(s)",
                    "backup verification: base_", " verified", "WAL verification: OK", "status: 1 backup(s)", "OK: every step passed");
            JsonNode firstSummary = new ObjectMapper().readTree(webhook.next(30).body());
            assertThat(firstSummary.get("event").asText()).isEqualTo("summary");
            assertThat(firstSummary.get("exit_code").asInt()).isZero();
            assertThat(firstSummary.get("text").asText()).contains("maintain passed", "backup: full backup base_");
            List<String> afterFirst = backups();
            assertThat(afterFirst).hasSize(1);

            write();
            write();
            List<String> walBeforeSecond = segments();
            Processes.Outcome second = Launcher.run(user, env, "maintain", cluster.dataDirectory().toString());
            assertThat(second.exitCode()).as(second.output()).isZero();
            assertThat(second.output()).contains("retention: retain ALL 1: deleted 1 backup folder(s)", "status: 1 backup(s)");
            List<String> left = backups();
            assertThat(left).hasSize(1).doesNotContainAnyElementsOf(afterFirst);
            // base_<timeline+segment>: the WAL the remaining backup starts in
            String start = left.get(0).substring("base_".length(), "base_".length() + 24);
            assertThat(segments()).as("no WAL segment before the kept backup's start").allMatch(s -> s.compareTo(start) >= 0);
            assertThat(walBeforeSecond).as("the first run's WAL existed before").anyMatch(s -> s.compareTo(start) < 0);
            JsonNode secondSummary = new ObjectMapper().readTree(webhook.next(30).body());
            assertThat(secondSummary.get("detail").asText()).contains("retention: retain ALL 1: deleted 1 backup folder(s)");
            assertThat(webhook.nothingReceived()).as("one notification per run").isTrue();
        }
    }

    @Test
    void aFailedBackupStepExitsWithItsCodeAndTheOneNotificationNamesIt() throws Exception {
        try (WebhookReceiver webhook = WebhookReceiver.start(204)) {
            Map<String, String> env = Launcher.libpqEnvironment(repository, cluster);
            env.put("WALSTASH_RETAIN_BACKUPS", "1");
            env.put("PGUSER", "no_such_role");
            env.put("WALSTASH_NOTIFY_WEBHOOK", webhook.url("/hooks/maintain-secret"));
            write();
            int before = backups().size();
            Processes.Outcome run = Launcher.run(user, env, "maintain", cluster.dataDirectory().toString());
            assertThat(run.exitCode()).as(run.output()).isEqualTo(ExitCode.POSTGRES.code());
            assertThat(run.output()).contains("backup: failed: ", "retention: skipped: the backup failed",
                    "FAILED: backup (exit 11)");
            assertThat(backups()).as("nothing deleted after a failed backup").hasSize(before);
            JsonNode payload = new ObjectMapper().readTree(webhook.next(30).body());
            assertThat(payload.get("exit_code").asInt()).isEqualTo(11);
            assertThat(payload.get("text").asText()).contains("maintain failed with exit code 11", "step backup failed (exit 11)");
            assertThat(payload.toString()).doesNotContain("maintain-secret");
            assertThat(webhook.nothingReceived()).as("one notification per run").isTrue();
        }
    }

    @Test
    void checkSeesTheForcedSegmentArriveInThisRepository() throws Exception {
        Map<String, String> env = Launcher.libpqEnvironment(repository, cluster);
        Processes.Outcome run = Launcher.run(user, env, "check", "--archive-timeout", "2m");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("archive_mode on; archive_command runs walstash; segment ", "OK: PostgreSQL archives into this repository");
    }

    @Test
    void checkOfAnotherRepositoryFailsWhenTheSegmentDoesNotArriveThere() throws Exception {
        Path other = work.resolve("other-repository");
        Map<String, String> env = Launcher.libpqEnvironment(other, cluster);
        Processes.Outcome run = Launcher.run(user, env, "check", "--archive-timeout", "3s");
        assertThat(run.exitCode()).as(run.output()).isEqualTo(ExitCode.ARCHIVE_NOT_ARRIVING.code());
        assertThat(run.output()).containsPattern("walstash: error: WAL segment [0-9A-F]{24} \\(forced by pg_switch_wal\\) did not arrive in file://"
                + other + ".* within 3s");
    }

    @Test
    void checkRefusesAnArchiveCommandThatDoesNotRunWalstash() throws Exception {
        // /bin/false: PostgreSQL keeps every segment and retries it once the command is back, so no WAL goes missing
        setArchiveCommand("ALTER SYSTEM SET archive_command = '/bin/false'", "/bin/false");
        try {
            Map<String, String> env = Launcher.libpqEnvironment(repository, cluster);
            Processes.Outcome run = Launcher.run(user, env, "check");
            assertThat(run.exitCode()).as(run.output()).isEqualTo(ExitCode.NOT_ARCHIVING.code());
            assertThat(run.output()).contains("walstash: error: PostgreSQL's archive_command does not run walstash");
        } finally {
            setArchiveCommand("ALTER SYSTEM RESET archive_command", "WALSTASH_DAEMON=off");
        }
    }

    /** Runs {@code alter}, reloads, and waits (bounded) until a new session sees a command starting with {@code expected}. */
    private static void setArchiveCommand(String alter, String expected) throws Exception {
        cluster.psql("postgres", "postgres", alter);
        cluster.psql("postgres", "postgres", "SELECT pg_reload_conf()");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        // the postmaster applies the reload asynchronously; each new session shows whether it has
        while (!cluster.psql("postgres", "postgres", "SHOW archive_command").startsWith(expected)) {
            assertThat(System.nanoTime()).as("archive_command reloaded within 60 s").isLessThan(deadline);
        }
    }
}
