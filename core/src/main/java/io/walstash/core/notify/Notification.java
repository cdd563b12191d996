package io.walstash.core.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Something an operator should hear about, as one Slack-compatible JSON message: {@code text} for
 * chat, plus the same facts as fields for other receivers. Nothing here may be a secret: the
 * storage is the credential-free URI and the detail is an error line walstash already prints.
 *
 * @param event    {@link #COMMAND_FAILED}, {@link #UNHEALTHY} or {@link #SUMMARY}
 * @param host     the machine walstash runs on
 * @param storage  the credential-free repository URI, if known
 * @param command  the walstash command, such as {@code wal-push}
 * @param exitCode the command's exit code
 * @param detail   the error or crossed-threshold lines, joined
 */
public record Notification(String event, String host, Optional<String> storage, String command, int exitCode,
                           String detail) {
    public static final String COMMAND_FAILED = "command_failed";
    public static final String UNHEALTHY = "unhealthy";
    /** A scheduled run's summary, sent whether it passed or not; the exit code says which. */
    public static final String SUMMARY = "summary";

    private static final ObjectMapper JSON = new ObjectMapper();

    public Notification {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(detail, "detail");
    }

    /** The chat line: who, what, why, where. */
    public String text() {
        String what = event.equals(UNHEALTHY) ? command + " reports the repository unhealthy"
                : event.equals(SUMMARY) && exitCode == 0 ? command + " passed"
                : command + " failed with exit code " + exitCode;
        return "walstash on " + host + ": " + what + (detail.isEmpty() ? "" : ": " + detail)
                + storage.map(s -> " (storage " + s + ")").orElse("");
    }

    /** {@code {"text": …, "event": …, "host": …, "storage": …, "command": …, "exit_code": …, "detail": …}}. */
    public byte[] json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("text", text());
        root.put("event", event);
        root.put("host", host);
        root.put("storage", storage.orElse(null));
        root.put("command", command);
        root.put("exit_code", exitCode);
        root.put("detail", detail);
        try {
            return JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * This machine's name without a DNS lookup (which can hang for seconds on a badly configured
     * host, and a notification must not): {@code HOSTNAME}, then the kernel's name, else "unknown".
     */
    public static String localHost() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            String kernel = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!kernel.isEmpty()) {
                return kernel;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "unknown";
    }
}
