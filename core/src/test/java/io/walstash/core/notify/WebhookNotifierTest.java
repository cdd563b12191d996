package io.walstash.core.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.CoreSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.config.Settings;
import io.walstash.core.testing.WebhookReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The webhook notifier against a real local HTTP server: payload, failures as one warning, the time bound. */
class WebhookNotifierTest {
    private static final String SECRET_PATH = "/services/T000/B000/XXXXsecretXXXX";

    private WebhookReceiver server;
    private final List<String> warnings = new ArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String serve(int status) throws IOException {
        server = WebhookReceiver.start(status);
        return server.url(SECRET_PATH);
    }

    private WebhookNotifier notifier(String url, String timeout) {
        Map<String, String> values = timeout == null ? Map.of(CoreSettings.NOTIFY_WEBHOOK.name(), url)
                : Map.of(CoreSettings.NOTIFY_WEBHOOK.name(), url, CoreSettings.NOTIFY_TIMEOUT.name(), timeout);
        return WebhookNotifier.configured(Settings.of(values), warnings::add).orElseThrow();
    }

    private static Notification failure() {
        return new Notification(Notification.COMMAND_FAILED, "db1", Optional.of("s3://bucket/pg"), "wal-push", 10,
                "storage failed: s3://bucket/pg: endpoint unreachable");
    }

    @Test
    void postsSlackCompatibleJson() throws Exception {
        String url = serve(200);
        assertThat(notifier(url, null).send(failure(), warnings::add)).isTrue();
        WebhookReceiver.Request request = server.next(10);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo(SECRET_PATH);
        assertThat(request.contentType()).startsWith("application/json");
        JsonNode json = new ObjectMapper().readTree(request.body());
        assertThat(json.get("text").asText()).isEqualTo("walstash on db1: wal-push failed with exit code 10: "
                + "storage failed: s3://bucket/pg: endpoint unreachable (storage s3://bucket/pg)");
        assertThat(json.get("event").asText()).isEqualTo("command_failed");
        assertThat(json.get("host").asText()).isEqualTo("db1");
        assertThat(json.get("storage").asText()).isEqualTo("s3://bucket/pg");
        assertThat(json.get("command").asText()).isEqualTo("wal-push");
        assertThat(json.get("exit_code").asInt()).isEqualTo(10);
        assertThat(json.get("detail").asText()).isEqualTo("storage failed: s3://bucket/pg: endpoint unreachable");
        assertThat(warnings).isEmpty();
    }

    @Test
    void anErrorStatusIsOneWarningNamingOnlyTheHost() throws Exception {
        String url = serve(404);
        assertThat(notifier(url, null).send(failure(), warnings::add)).isFalse();
        assertThat(warnings).containsExactly("walstash: warning: notification to webhook at 127.0.0.1 failed: the webhook answered HTTP 404");
    }

    @Test
    void aRefusedConnectionIsOneWarning() throws Exception {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        assertThat(notifier("http://127.0.0.1:" + port + SECRET_PATH, null).send(failure(), warnings::add)).isFalse();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).startsWith("walstash: warning: notification to webhook at 127.0.0.1 failed: ")
                .doesNotContain("secret").doesNotContain("T000");
    }

    @Test
    void aWebhookThatNeverAnswersCostsAtMostTheTimeout() throws Exception {
        // the kernel accepts the connection; nobody ever reads or answers
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            WebhookNotifier notifier = notifier("http://127.0.0.1:" + silent.getLocalPort() + SECRET_PATH, "500ms");
            assertThat(notifier.timeout()).isEqualTo(Duration.ofMillis(500));
            long started = System.nanoTime();
            assertThat(notifier.send(failure(), warnings::add)).isFalse();
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(millis).as("send took %d ms", millis).isBetween(400L, 3_000L);
        }
        assertThat(warnings).containsExactly("walstash: warning: notification to webhook at 127.0.0.1 failed: no answer within 500ms");
    }

    @Test
    void settingsOffBadOrDefault() {
        assertThat(WebhookNotifier.configured(Settings.empty(), warnings::add)).isEmpty();
        assertThat(WebhookNotifier.configured(Settings.of(Map.of(CoreSettings.NOTIFY_WEBHOOK.name(), "ftp://x" + SECRET_PATH)), warnings::add))
                .isEmpty();
        assertThat(WebhookNotifier.configured(Settings.of(Map.of(CoreSettings.NOTIFY_WEBHOOK.name(), "not a url " + SECRET_PATH)), warnings::add))
                .isEmpty();
        WebhookNotifier withBadTimeout = WebhookNotifier.configured(Settings.of(Map.of(CoreSettings.NOTIFY_WEBHOOK.name(),
                "https://hooks.slack.com" + SECRET_PATH, CoreSettings.NOTIFY_TIMEOUT.name(), "soon")), warnings::add).orElseThrow();
        assertThat(withBadTimeout.timeout()).isEqualTo(WebhookNotifier.DEFAULT_TIMEOUT);
        assertThat(withBadTimeout.host()).isEqualTo("hooks.slack.com");
        assertThat(withBadTimeout.toString()).doesNotContain("secret");
        assertThat(warnings).hasSize(3).noneMatch(w -> w.contains("secret") || w.contains("T000") || w.contains("soon"));
        assertThat(notifier("https://h" + SECRET_PATH, "7").timeout()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void unhealthyText() {
        Notification n = new Notification(Notification.UNHEALTHY, "db1", Optional.empty(), "status", 8,
                "max-archive-lag 15m crossed: the last archived segment 000000010000000000000009 was stored 2h ago");
        assertThat(n.text()).isEqualTo("walstash on db1: status reports the repository unhealthy: max-archive-lag 15m"
                + " crossed: the last archived segment 000000010000000000000009 was stored 2h ago");
        assertThat(Notification.localHost()).isNotBlank();
    }
}
