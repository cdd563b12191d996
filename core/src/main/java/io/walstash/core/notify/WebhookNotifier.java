package io.walstash.core.notify;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Durations;
import io.walstash.core.config.Settings;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Posts {@link Notification}s to a webhook (a Slack incoming webhook or anything that takes JSON).
 *
 * <p>The URL is a secret (whoever has a Slack webhook URL can post to the channel): it is never
 * printed; messages name only its host. Sending never throws and never takes longer than the
 * timeout, connect and response together: a failure becomes one warning line, because a
 * notification must never change what the command that sends it reports or block archiving.
 */
public final class WebhookNotifier {
    private static final String WEBHOOK = CoreSettings.NOTIFY_WEBHOOK.name();
    private static final String TIMEOUT = CoreSettings.NOTIFY_TIMEOUT.name();
    public static final Duration DEFAULT_TIMEOUT = CoreSettings.NOTIFY_TIMEOUT.defaultValue();

    private final URI url;
    private final Duration timeout;

    WebhookNotifier(URI url, Duration timeout) {
        this.url = url;
        this.timeout = timeout;
    }

    /**
     * The notifier {@code settings} configure, or empty when {@code WALSTASH_NOTIFY_WEBHOOK} is not set. A bad
     * setting is reported through {@code warn} (without its value) and turns notifications off or
     * uses the default timeout.
     */
    public static Optional<WebhookNotifier> configured(Settings settings, Consumer<String> warn) {
        Optional<String> webhook = CoreSettings.NOTIFY_WEBHOOK.find(settings);
        if (webhook.isEmpty()) {
            return Optional.empty();
        }
        URI url;
        try {
            url = URI.create(webhook.get().strip());
        } catch (IllegalArgumentException e) {
            warn.accept("walstash: warning: " + WEBHOOK + " is not a URL; no notification sent");
            return Optional.empty();
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            warn.accept("walstash: warning: " + WEBHOOK + " is not an http(s) URL with a host; no notification sent");
            return Optional.empty();
        }
        Duration timeout;
        try {
            timeout = CoreSettings.NOTIFY_TIMEOUT.get(settings);
        } catch (IllegalArgumentException e) {
            warn.accept("walstash: warning: " + TIMEOUT + " must be a duration such as 3s or 1500ms; using "
                    + Durations.format(DEFAULT_TIMEOUT));
            timeout = DEFAULT_TIMEOUT;
        }
        return Optional.of(new WebhookNotifier(url, timeout));
    }

    /** The webhook's host: all of its URL that may be shown. */
    public String host() {
        return url.getHost();
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * Posts {@code notification}; returns whether the webhook answered 2xx within the timeout.
     * Never throws; a failure is one line to {@code warn} naming only the webhook's host.
     */
    public boolean send(Notification notification, Consumer<String> warn) {
        Integer code = BoundedSend.run("walstash-webhook", timeout, () -> {
            HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                    .followRedirects(HttpClient.Redirect.NEVER).build();
            HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(notification.json())).build();
            return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        }, this::reason, why -> warn.accept(failed(why)));
        if (code == null) {
            return false;
        }
        if (code / 100 != 2) {
            warn.accept(failed("the webhook answered HTTP " + code));
            return false;
        }
        return true;
    }

    private String failed(String reason) {
        return "walstash: warning: notification to webhook at " + host() + " failed: " + reason;
    }

    /** A cause in words, with anything of the URL beyond its host scrubbed out. */
    private String reason(Throwable t) {
        if (t instanceof HttpConnectTimeoutException) {
            return "connect timed out after " + Durations.format(timeout);
        }
        if (t instanceof HttpTimeoutException) {
            return "no answer within " + Durations.format(timeout);
        }
        if (t instanceof ConnectException) {
            return "cannot connect" + (t.getMessage() == null ? "" : " (" + scrub(t.getMessage()) + ")");
        }
        String message = t.getMessage() == null ? "" : ": " + scrub(t.getMessage());
        return t.getClass().getSimpleName() + message;
    }

    private String scrub(String message) {
        String scrubbed = message.replace(url.toString(), host());
        String path = url.getRawPath();
        if (path != null && path.length() > 1) {
            scrubbed = scrubbed.replace(path, "/…");
        }
        if (url.getRawQuery() != null) {
            scrubbed = scrubbed.replace(url.getRawQuery(), "…");
        }
        return scrubbed.lines().findFirst().orElse("");
    }

    @Override
    public String toString() {
        return "WebhookNotifier(" + host() + ", " + Durations.format(timeout) + ")";
    }
}
