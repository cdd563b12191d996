package io.walstash.storage.gcs;

import io.walstash.core.config.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The GCS adapter's options, read from {@link Settings} by their environment-variable names (see
 * {@link GcsStorageProvider} for the list). Holds a credentials file path, never credentials.
 *
 * @param credentialsFile     a Google credentials JSON file (service account), else application-default credentials
 * @param endpoint            a custom endpoint such as {@code http://127.0.0.1:4443} (emulators, tests), else Google's
 * @param project             the project new buckets are created in
 * @param chunkSize           bytes per resumable-upload request; content up to this size goes as one request
 * @param maxRetries          the SDK's own retries of a failed request (429, 5xx, connection trouble); 0 by
 *                            default, as walstash's retry layer retries (deprecated setting)
 * @param initialRetryDelay   the first backoff; doubled per retry up to {@code maxRetryDelay}
 * @param maxRetryDelay       the longest backoff
 * @param connectTimeout      per request: connecting
 * @param readTimeout         per request: waiting for the next bytes of a response
 */
record GcsSettings(
        Optional<Path> credentialsFile,
        Optional<URI> endpoint,
        Optional<String> project,
        int chunkSize,
        int maxRetries,
        Duration initialRetryDelay,
        Duration maxRetryDelay,
        Duration connectTimeout,
        Duration readTimeout) {

    /** GCS wants resumable chunks in multiples of 256 KiB. */
    static final int CHUNK_GRANULARITY = 256 * 1024;
    static final int DEFAULT_CHUNK_SIZE = (int) (long) GcsDeclarations.CHUNK_SIZE.defaultValue();
    static final int DEFAULT_MAX_RETRIES = GcsDeclarations.MAX_RETRIES.defaultValue();

    GcsSettings {
        Objects.requireNonNull(credentialsFile, "credentialsFile");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(initialRetryDelay, "initialRetryDelay");
        Objects.requireNonNull(maxRetryDelay, "maxRetryDelay");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        if (chunkSize < CHUNK_GRANULARITY || chunkSize % CHUNK_GRANULARITY != 0) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a positive multiple of 256 KiB");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("negative retry count " + maxRetries);
        }
    }

    static GcsSettings from(Settings settings) {
        Optional<Path> credentials = GcsDeclarations.CREDENTIALS.find(settings).map(Path::of);
        Optional<URI> endpoint = settings.given(GcsDeclarations.ENDPOINT).map(g -> endpoint(g.name(), g.value()));
        Optional<String> project = GcsDeclarations.PROJECT.find(settings);
        int chunkSize = roundUp(GcsDeclarations.CHUNK_SIZE.get(settings));
        int maxRetries = GcsDeclarations.MAX_RETRIES.get(settings);
        return new GcsSettings(credentials, endpoint, project, chunkSize, maxRetries,
                Duration.ofMillis(500), Duration.ofSeconds(16), Duration.ofSeconds(20), Duration.ofSeconds(60));
    }

    GcsSettings withEndpoint(URI endpoint) {
        return new GcsSettings(credentialsFile, Optional.of(endpoint), project, chunkSize, maxRetries,
                initialRetryDelay, maxRetryDelay, connectTimeout, readTimeout);
    }

    GcsSettings withRetries(int maxRetries, Duration initialRetryDelay, Duration maxRetryDelay) {
        return new GcsSettings(credentialsFile, endpoint, project, chunkSize, maxRetries,
                initialRetryDelay, maxRetryDelay, connectTimeout, readTimeout);
    }

    GcsSettings withTimeouts(Duration connectTimeout, Duration readTimeout) {
        return new GcsSettings(credentialsFile, endpoint, project, chunkSize, maxRetries,
                initialRetryDelay, maxRetryDelay, connectTimeout, readTimeout);
    }

    /**
     * {@code http://host:port}, {@code https://host} or, as STORAGE_EMULATOR_HOST is often written,
     * a bare {@code host:port} (taken as http). A trailing '/' is dropped.
     */
    static URI endpoint(String name, String value) {
        String text = value.strip();
        if (!text.contains("://")) {
            text = "http://" + text;
        }
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(name + ": '" + value + "' is not an endpoint URL: " + e.getReason());
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(name + ": endpoint '" + value + "' must be http:// or https://");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(name + ": endpoint '" + value + "' has no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(name + ": the endpoint must not carry credentials");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(name + ": endpoint '" + value + "' must not have a query or fragment");
        }
        return uri;
    }

    /** A chunk size as the setting reads it, rounded up to a multiple of 256 KiB. */
    static int chunkSize(String value) {
        return roundUp(GcsDeclarations.CHUNK_SIZE.parse(new Settings.Given(GcsDeclarations.CHUNK_SIZE.name(), value.strip())));
    }

    private static int roundUp(long bytes) {
        return (int) ((bytes + CHUNK_GRANULARITY - 1) / CHUNK_GRANULARITY * CHUNK_GRANULARITY);
    }
}
