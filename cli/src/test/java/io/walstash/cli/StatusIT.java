package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.PrometheusText;
import io.walstash.core.testing.WebhookReceiver;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * status of a repository a real PostgreSQL filled through the built launcher (archive_command =
 * wal-push, one backup-push), with pg_stat_archiver read over the libpq variables; and webhook
 * notifications from the launcher for a failed wal-push and a crossed threshold.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class StatusIT extends EndToEndTest {
    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final Pattern DONE = Pattern.compile("backup (base_\\S+) done");
    private static final String SECRET_PATH = "/services/TSTATUSIT/B0/sEcReTwEbHoOk";

    private Path repository;
    private WebhookReceiver server;

    @BeforeEach
    void setUp() throws Exception {
        repository = work.resolve("repository");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private String webhook() throws Exception {
        server = WebhookReceiver.start(204);
        return server.url(SECRET_PATH);
    }

    private Map<String, String> env(LocalCluster source) {
        return Launcher.libpqEnvironment(repository, source);
    }

    private Processes.Outcome walstash(Map<String, String> env, String... args) throws Exception {
        return Launcher.run(user, env, args);
    }

    /** The output without walstash's own stderr lines (the launcher's output is stdout and stderr merged). */
    private static String stdout(Processes.Outcome outcome) {
        return outcome.output().lines().filter(l -> !l.startsWith("walstash: ")).collect(Collectors.joining("\n", "", "\n"));
    }

    private String newestStoredSegment() throws Exception {
        try (Stream<Path> stored = Files.list(repository.resolve("wal"))) {
            return stored.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}\\.zst"))
                    .map(n -> n.substring(0, 24)).max(String::compareTo).orElseThrow();
        }
    }

    private static long bytesUnder(Path directory) throws Exception {
        try (Stream<Path> files = Files.walk(directory)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void statusOfARealRepositoryInEveryFormatWithPgStatArchiver() throws Exception {
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", "WALSTASH_DAEMON=off WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
            source.start();
            for (int i = 0; i < 3; i++) {
                try (Connection c = source.connect(); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS t (id int)");
                    s.execute("INSERT INTO t SELECT generate_series(1, 1000)");
                }
                source.switchWalAndWaitForArchive(WAIT);
            }
            Processes.Outcome pushed = walstash(env(source), "backup-push", source.dataDirectory().toString());
            assertThat(pushed.exitCode()).as(pushed.output()).isZero();
            Matcher done = DONE.matcher(pushed.output());
            assertThat(done.find()).as(pushed.output()).isTrue();
            String backup = done.group(1);
            // the newest archived object is a segment again, not the backup history file
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO t SELECT generate_series(1, 1000)");
            }
            String lastSwitched = source.switchWalAndWaitForArchive(WAIT);

            String archivedCount;
            String lastArchivedWal;
            try (Connection c = source.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT archived_count::text, last_archived_wal FROM pg_stat_archiver")) {
                rs.next();
                archivedCount = rs.getString(1);
                lastArchivedWal = rs.getString(2);
            }
            String newest = newestStoredSegment();
            assertThat(newest).isEqualTo(lastSwitched).isEqualTo(lastArchivedWal);

            Processes.Outcome json = walstash(env(source), "status", "--json");
            assertThat(json.exitCode()).as(json.output()).isZero();
            JsonNode status = new ObjectMapper().readTree(stdout(json));
            assertThat(status.get("storage").asText()).isEqualTo("file://" + repository);
            assertThat(status.get("healthy").asBoolean()).isTrue();
            JsonNode last = status.get("wal").get("last_archived");
            assertThat(last.get("name").asText()).isEqualTo(newest);
            assertThat(last.get("key").asText()).isEqualTo("wal/" + newest + ".zst");
            assertThat(last.get("age_seconds").asLong()).isBetween(0L, 120L);
            long walFiles;
            try (Stream<Path> stored = Files.list(repository.resolve("wal"))) {
                walFiles = stored.count();
            }
            assertThat(status.get("wal").get("objects").asLong()).isEqualTo(walFiles);
            assertThat(status.get("wal").get("stored_bytes").asLong()).isEqualTo(bytesUnder(repository.resolve("wal")));
            JsonNode backups = status.get("backups");
            assertThat(backups.get("count").asInt()).isEqualTo(1);
            assertThat(backups.get("newest").get("name").asText()).isEqualTo(backup);
            assertThat(backups.get("list").get(0).get("stored_bytes").asLong())
                    .isEqualTo(bytesUnder(repository.resolve("backups/" + backup)))
                    .isEqualTo(backups.get("stored_bytes").asLong());
            JsonNode pg = status.get("pg_stat_archiver");
            assertThat(pg.get("archived_count").asText()).isEqualTo(archivedCount);
            assertThat(pg.get("last_archived_wal").asText()).isEqualTo(lastArchivedWal);
            assertThat(pg.get("failed_count").asLong()).isZero();
            assertThat(pg.get("failing").asBoolean()).isFalse();

            Processes.Outcome text = walstash(env(source), "status");
            assertThat(text.exitCode()).as(text.output()).isZero();
            assertThat(text.output())
                    .containsPattern("(?m)^last archived {6}" + newest + ", stored \\d+\\w* ago")
                    .containsPattern("(?m)^backups {12}1, ")
                    .containsPattern("(?m)^newest backup {6}" + backup + ", stopped ")
                    .containsPattern("(?m)^pg_stat_archiver {3}archived " + archivedCount + ", last " + lastArchivedWal + " at ")
                    .containsPattern("(?m)^health {13}healthy$");

            Processes.Outcome prometheus = walstash(env(source), "status", "--prometheus");
            assertThat(prometheus.exitCode()).as(prometheus.output()).isZero();
            var samples = PrometheusText.parse(stdout(prometheus));
            assertThat(samples.get("walstash_healthy").get(0).value()).isEqualTo(1.0);
            assertThat(samples.get("walstash_backups").get(0).value()).isEqualTo(1.0);
            assertThat(samples.get("walstash_pg_archiver_archived_total").get(0).value())
                    .isEqualTo(Double.parseDouble(archivedCount));
            assertThat(samples.get("walstash_pg_archiver_failed_total").get(0).value()).isZero();
            assertThat(samples.get("walstash_wal_objects").get(0).value()).isEqualTo((double) walFiles);
            assertThat(samples.get("walstash_last_archived_age_seconds").get(0).value()).isBetween(0.0, 120.0);
            assertThat(samples.get("walstash_backups").get(0).labels()).containsEntry("storage", "file://" + repository);

            // thresholds: generous passes, tiny crosses and is named; a spool backlog is reported
            Processes.Outcome generous = walstash(env(source), "status", "--max-backup-age", "7d", "--max-archive-lag", "1h");
            assertThat(generous.exitCode()).as(generous.output()).isZero();
            Path spool = Files.createDirectories(work.resolve("spool"));
            Files.copy(source.dataDirectory().resolve("pg_wal/" + newest), spool.resolve(newest));
            Files.writeString(spool.resolve(".writing.tmp"), "partial");
            user.own(spool);
            Map<String, String> withSpool = env(source);
            withSpool.put("WALSTASH_SPOOL", spool.toString());
            withSpool.put("WALSTASH_NOTIFY_WEBHOOK", webhook());
            Processes.Outcome tiny = walstash(withSpool, "status", "--max-backup-age", "1ms", "--max-archive-lag", "1ms");
            assertThat(tiny.exitCode()).as(tiny.output()).isEqualTo(ExitCode.UNHEALTHY.code());
            assertThat(tiny.output())
                    .contains("walstash: unhealthy: max-backup-age 1ms crossed: the newest backup " + backup + " stopped ")
                    .contains("walstash: unhealthy: max-archive-lag 1ms crossed: the last archived segment " + newest)
                    .contains("walstash: unhealthy: max-archive-lag 1ms crossed: a spooled WAL file in " + spool)
                    .containsPattern("(?m)^spool {14}" + Pattern.quote(spool.toString()) + ": 1 files, 16.0 MiB, oldest waiting ")
                    .doesNotContain("sEcReT").doesNotContain("TSTATUSIT");
            JsonNode notified = new ObjectMapper().readTree(server.next(30).body());
            assertThat(notified.get("event").asText()).isEqualTo("unhealthy");
            assertThat(notified.get("command").asText()).isEqualTo("status");
            assertThat(notified.get("exit_code").asInt()).isEqualTo(8);
            assertThat(notified.get("storage").asText()).isEqualTo("file://" + repository);
            assertThat(notified.get("detail").asText()).startsWith("max-backup-age 1ms crossed: the newest backup " + backup)
                    .contains("; max-archive-lag 1ms crossed: the last archived segment " + newest);
            assertThat(notified.get("text").asText()).contains("status reports the repository unhealthy");
        }
    }

    @Test
    void aFailedWalPushReachesTheWebhookAndASilentOneCostsOnlyItsTimeout() throws Exception {
        Path pgWal = Files.createDirectories(work.resolve("pg_wal"));
        Path segment = io.walstash.core.testing.WalSegmentFiles.segment(pgWal, "000000010000000000000003", 7, 1);
        user.own(pgWal);
        user.own(segment);
        // /proc takes no new directories, not even root's: the push must fail on storage
        Map<String, String> env = new HashMap<>(Map.of("WALSTASH_STORAGE", "file:///proc/walstash-nowhere"));

        long started = System.nanoTime();
        Processes.Outcome plain = walstash(env, "wal-push", segment.toString());
        long plainMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(plain.exitCode()).as(plain.output()).isNotZero();

        env.put("WALSTASH_NOTIFY_WEBHOOK", webhook());
        Processes.Outcome notifying = walstash(env, "wal-push", segment.toString());
        assertThat(notifying.exitCode()).as(notifying.output()).isEqualTo(plain.exitCode());
        assertThat(notifying.output()).doesNotContain("sEcReT").doesNotContain("TSTATUSIT").doesNotContain("warning");
        JsonNode payload = new ObjectMapper().readTree(server.next(30).body());
        assertThat(payload.get("event").asText()).isEqualTo("command_failed");
        assertThat(payload.get("command").asText()).isEqualTo("wal-push");
        assertThat(payload.get("exit_code").asInt()).isEqualTo(plain.exitCode());
        assertThat(payload.get("storage").asText()).isEqualTo("file:///proc/walstash-nowhere");
        String errorLine = plain.output().lines().filter(l -> l.startsWith("walstash: error: ")).findFirst().orElseThrow();
        assertThat(payload.get("detail").asText()).isEqualTo(errorLine.substring("walstash: error: ".length()));
        assertThat(payload.get("text").asText()).contains("wal-push failed with exit code " + plain.exitCode());

        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            env.put("WALSTASH_NOTIFY_WEBHOOK", "http://127.0.0.1:" + silent.getLocalPort() + SECRET_PATH);
            env.put("WALSTASH_NOTIFY_TIMEOUT", "1s");
            started = System.nanoTime();
            Processes.Outcome hanging = walstash(env, "wal-push", segment.toString());
            long hangingMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(hanging.exitCode()).as(hanging.output()).isEqualTo(plain.exitCode());
            assertThat(hanging.output()).contains("walstash: warning: notification to webhook at 127.0.0.1 failed: no answer within 1s")
                    .doesNotContain("sEcReT");
            // 1 s of timeout plus JVM start-up noise on a shared 2-core machine
            assertThat(hangingMillis).as("plain %d ms, with a silent webhook %d ms", plainMillis, hangingMillis)
                    .isLessThan(plainMillis + 6_000);
        }
        assertThat(server.nothingReceived()).as("nothing else was sent").isTrue();
    }
}
