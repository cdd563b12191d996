package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.CoreSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.config.Configuration;
import io.walstash.core.testing.PrometheusText;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.testing.WebhookReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** status and webhook notifications through the in-process command line on a file:// repository. */
class StatusCommandTest {
    private static final String SECRET_PATH = "/services/T0STATUS/B0/sEcReTtOkEn";

    @TempDir
    Path dir;

    private WebhookReceiver server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String storage() {
        return dir.resolve("repo").toUri().toString();
    }

    /** The repository as status and notifications show it. */
    private String shown() {
        return storage().replaceAll("/$", "");
    }

    private void push(String name, long seed) throws IOException {
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal-" + seed));
        Path file = WalSegmentFiles.segment(pgWal, name, 99, seed);
        CliRun push = CliRun.of("wal-push", "--storage", storage(), file.toString());
        assertThat(push.exitCode()).as(push.err()).isZero();
    }

    private String webhook() throws IOException {
        server = WebhookReceiver.start(200);
        return server.url(SECRET_PATH);
    }

    /** The webhook can only come from a config file in process (the environment is the JVM's). */
    private Path config(String webhook, String timeout) throws IOException {
        return Files.writeString(dir.resolve("walstash.env"), "WALSTASH_NOTIFY_WEBHOOK=" + webhook + "\n"
                + (timeout == null ? "" : "WALSTASH_NOTIFY_TIMEOUT=" + timeout + "\n"));
    }

    @Test
    void reportsTheNewestSegmentInEveryFormat() throws Exception {
        push("000000010000000000000003", 1);
        push("000000010000000000000004", 2);
        push("000000010000000000000002", 3);

        CliRun text = CliRun.of("status", "--storage", storage());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).containsPattern("(?m)^last archived {6}000000010000000000000004, stored \\d+s ago")
                .containsPattern("(?m)^wal {16}3 segments, 3 objects, ")
                .containsPattern("(?m)^backups {12}0, 0 B stored")
                .containsPattern("(?m)^health {13}healthy$");

        CliRun json = CliRun.of("status", "--storage", storage(), "--json");
        JsonNode status = new ObjectMapper().readTree(json.out());
        assertThat(status.get("storage").asText()).isEqualTo(shown());
        assertThat(status.get("wal").get("last_archived").get("key").asText()).isEqualTo("wal/000000010000000000000004.zst");
        long stored = Files.size(dir.resolve("repo/wal/000000010000000000000002.zst"))
                + Files.size(dir.resolve("repo/wal/000000010000000000000003.zst"))
                + Files.size(dir.resolve("repo/wal/000000010000000000000004.zst"));
        assertThat(status.get("wal").get("stored_bytes").asLong()).isEqualTo(stored);
        assertThat(status.get("backups").get("count").asInt()).isZero();
        assertThat(status.get("pg_stat_archiver").isNull()).isTrue();

        CliRun prometheus = CliRun.of("status", "--storage", storage(), "--prometheus");
        var samples = PrometheusText.parse(prometheus.out());
        assertThat(samples.get("walstash_wal_segments").get(0).value()).isEqualTo(3.0);
        assertThat(samples.get("walstash_wal_stored_bytes").get(0).value()).isEqualTo((double) stored);
        assertThat(samples.get("walstash_healthy").get(0).value()).isEqualTo(1.0);
        assertThat(samples.get("walstash_backups").get(0).labels()).containsEntry("storage", status.get("storage").asText());
    }

    @Test
    void crossedThresholdsExit8AndAreNamedOnePerLine() throws Exception {
        push("000000010000000000000003", 1);
        Instant old = Instant.now().minus(Duration.ofHours(2));
        Files.setLastModifiedTime(dir.resolve("repo/wal/000000010000000000000003.zst"), FileTime.from(old));

        CliRun generous = CliRun.of("status", "--storage", storage(), "--max-archive-lag", "3h");
        assertThat(generous.exitCode()).as(generous.err()).isZero();

        CliRun crossed = CliRun.of("status", "--storage", storage(), "--max-archive-lag", "15m", "--max-backup-age", "26h");
        assertThat(crossed.exitCode()).isEqualTo(ExitCode.UNHEALTHY.code()).isEqualTo(8);
        assertThat(crossed.errLines()).containsExactly(
                "walstash: unhealthy: max-backup-age 1d2h crossed: there is no backup in " + shown(),
                "walstash: unhealthy: max-archive-lag 15m crossed: the last archived segment 000000010000000000000003 was stored 2h ago");
        assertThat(crossed.out()).contains("health             UNHEALTHY (2 thresholds crossed)");

        CliRun bad = CliRun.of("status", "--storage", storage(), "--max-archive-lag", "15");
        assertThat(bad.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(bad.err()).contains("--max-archive-lag: malformed duration '15'");
    }

    @Test
    void spoolBacklogIsShownAndAnOldOneIsUnhealthy() throws Exception {
        push("000000010000000000000003", 1);
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Files.write(spool.resolve("000000010000000000000004"), new byte[3000]);
        Files.write(spool.resolve("000000010000000000000005"), new byte[2000]);
        Files.write(spool.resolve(".000000010000000000000006.tmp"), new byte[100]);
        Files.setLastModifiedTime(spool.resolve("000000010000000000000004"),
                FileTime.from(Instant.now().minus(Duration.ofMinutes(50))));

        CliRun json = CliRun.of("status", "--storage", storage(), "--spool", spool.toString(), "--json",
                "--max-archive-lag", "30m");
        assertThat(json.exitCode()).isEqualTo(8);
        JsonNode s = new ObjectMapper().readTree(json.out()).get("spool");
        assertThat(s.get("directory").asText()).isEqualTo(spool.toString());
        assertThat(s.get("files").asInt()).isEqualTo(2);
        assertThat(s.get("bytes").asLong()).isEqualTo(5000);
        assertThat(s.get("oldest_age_seconds").asLong()).isBetween(50 * 60L, 52 * 60L);
        assertThat(json.err()).contains("walstash: unhealthy: max-archive-lag 30m crossed: a spooled WAL file in " + spool
                + " has waited 50m (2 files waiting)");

        CliRun prometheus = CliRun.of("status", "--storage", storage(), "--spool", spool.toString(), "--prometheus");
        var samples = PrometheusText.parse(prometheus.out());
        assertThat(samples.get("walstash_spool_segments").get(0).value()).isEqualTo(2.0);
        assertThat(samples.get("walstash_spool_oldest_age_seconds").get(0).value()).isBetween(3000.0, 3120.0);
    }

    @Test
    void aConflictingWalPushAndAnUnhealthyStatusReachTheWebhook() throws Exception {
        Path config = config(webhook(), "5s");
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Path first = WalSegmentFiles.segment(pgWal, "000000010000000000000003", 99, 1);
        assertThat(CliRun.of("wal-push", "--storage", storage(), "--config", config.toString(), first.toString()).exitCode())
                .isZero();
        assertThat(server.nothingReceived()).as("success notifies nothing").isTrue();

        Path other = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("pg_wal-2")), "000000010000000000000003", 99, 2);
        CliRun conflict = CliRun.of("wal-push", "--storage", storage(), "--config", config.toString(), other.toString());
        assertThat(conflict.exitCode()).isEqualTo(ExitCode.CONFLICT.code());
        JsonNode payload = new ObjectMapper().readTree(server.next(10).body());
        assertThat(payload.get("event").asText()).isEqualTo("command_failed");
        assertThat(payload.get("command").asText()).isEqualTo("wal-push");
        assertThat(payload.get("exit_code").asInt()).isEqualTo(4);
        assertThat(payload.get("storage").asText()).isEqualTo(shown());
        assertThat(payload.get("detail").asText()).startsWith("wal/000000010000000000000003.zst is already archived with DIFFERENT content");
        assertThat(payload.get("text").asText()).contains("wal-push failed with exit code 4: wal/000000010000000000000003.zst");
        assertThat(payload.get("host").asText()).isNotBlank();
        assertThat(conflict.err()).doesNotContain("sEcReT").doesNotContain("T0STATUS");

        CliRun unhealthy = CliRun.of("status", "--storage", storage(), "--config", config.toString(), "--max-backup-age", "1d");
        assertThat(unhealthy.exitCode()).isEqualTo(8);
        JsonNode status = new ObjectMapper().readTree(server.next(10).body());
        assertThat(status.get("event").asText()).isEqualTo("unhealthy");
        assertThat(status.get("command").asText()).isEqualTo("status");
        assertThat(status.get("detail").asText()).isEqualTo("max-backup-age 1d crossed: there is no backup in "
                + shown());
        assertThat(unhealthy.err()).doesNotContain("sEcReT");

        // commands that are not watched never notify, even when they fail
        CliRun fetch = CliRun.of("wal-fetch", "--storage", storage(), "--config", config.toString(),
                "000000010000000000000009", dir.resolve("x").toString());
        assertThat(fetch.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(server.next(0.3)).isNull();
    }

    @Test
    void aThrownFailureReachesTheWebhookAsItsValueNotAsTheLinesPrinted() throws Exception {
        push("000000010000000000000003", 1);
        Path config = config(webhook(), "5s");

        CliRun missing = CliRun.of("backup-verify", "--storage", storage(), "--config", config.toString(),
                "base_000000010000000000000009");

        assertThat(missing.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        String errorLine = missing.errLines().stream().filter(l -> l.startsWith("walstash: error: ")).findFirst().orElseThrow();
        JsonNode payload = new ObjectMapper().readTree(server.next(10).body());
        assertThat(payload.get("event").asText()).isEqualTo("command_failed");
        assertThat(payload.get("command").asText()).isEqualTo("backup-verify");
        assertThat(payload.get("exit_code").asInt()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(payload.get("detail").asText()).isEqualTo(errorLine.substring("walstash: error: ".length()))
                .contains("base_000000010000000000000009");
    }

    @Test
    void theDetailIsTheOutcomesProblemsJoinedWhateverWasPrinted() throws Exception {
        Configuration configuration = Configuration.load(Map.of(CoreSettings.STORAGE.name(), storage(),
                CoreSettings.CONFIG_FILE.name(), config(webhook(), "5s").toString()), Map.of());
        List<String> warnings = new java.util.ArrayList<>();

        Notifications.send(configuration, new CommandOutcome("wal-verify", ExitCode.CORRUPT.code(), List.of(
                new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, "first"),
                new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, "second"))), warnings::add);

        JsonNode payload = new ObjectMapper().readTree(server.next(10).body());
        assertThat(payload.get("command").asText()).isEqualTo("wal-verify");
        assertThat(payload.get("exit_code").asInt()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(payload.get("detail").asText()).isEqualTo("first; second");
        assertThat(warnings).isEmpty();
    }

    @Test
    void aSilentWebhookKeepsTheExitCodeAndCostsAtMostItsTimeout() throws Exception {
        push("000000010000000000000003", 1);
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Path config = config("http://127.0.0.1:" + silent.getLocalPort() + SECRET_PATH, "1s");
            Path other = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("pg_wal-2")), "000000010000000000000003", 99, 2);
            long started = System.nanoTime();
            CliRun conflict = CliRun.of("wal-push", "--storage", storage(), "--config", config.toString(), other.toString());
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(conflict.exitCode()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(millis).as("wal-push took %d ms", millis).isLessThan(5_000);
            assertThat(conflict.errLines()).last().isEqualTo(
                    "walstash: warning: notification to webhook at 127.0.0.1 failed: no answer within 1s");
            assertThat(conflict.err()).doesNotContain("sEcReT");
        }
    }
}
