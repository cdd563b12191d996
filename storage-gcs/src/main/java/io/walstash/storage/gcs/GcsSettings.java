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
 * @param maxRetries          retries of a failed request (429, 5xx, connection trouble) before giving up
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
    static final int DEFAULT_CHUNK_SIZE = 8 << 20;
    static final int MAX_CHUNK_SIZE = 256 << 20;
    static final int DEFAULT_MAX_RETRIES = 5;
    static final int MAX_MAX_RETRIES = 20;

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
        Optional<Path> credentials = settings.get(GcsStorageProvider.CREDENTIALS).map(String::strip).map(Path::of);
        Optional<URI> endpoint = settings.get(GcsStorageProvider.ENDPOINT)
                .map(v -> endpoint(GcsStorageProvider.ENDPOINT, v))
                .or(() -> settings.get(GcsStorageProvider.EMULATOR_HOST)
                        .map(v -> endpoint(GcsStorageProvider.EMULATOR_HOST, v)));
        Optional<String> project = settings.get(GcsStorageProvider.PROJECT)
                .or(() -> settings.get(GcsStorageProvider.GOOGLE_CLOUD_PROJECT))
                .map(String::strip);
        int chunkSize = settings.get(GcsStorageProvider.CHUNK_SIZE)
                .map(GcsSettings::chunkSize).orElse(DEFAULT_CHUNK_SIZE);
        int maxRetries = settings.get(GcsStorageProvider.MAX_RETRIES)
                .map(GcsSettings::maxRetries).orElse(DEFAULT_MAX_RETRIES);
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

    /** Bytes, or with a KiB/MiB suffix (K/M/KB/MB taken as binary too); rounded up to a multiple of 256 KiB. */
    static int chunkSize(String value) {
        String text = value.strip().toUpperCase(Locale.ROOT).replace(" ", "");
        long unit = 1;
        for (String[] suffix : new String[][] {{"KIB", "1024"}, {"MIB", "1048576"}, {"KB", "1024"}, {"MB", "1048576"},
                {"K", "1024"}, {"M", "1048576"}}) {
            if (text.endsWith(suffix[0])) {
                text = text.substring(0, text.length() - suffix[0].length());
                unit = Long.parseLong(suffix[1]);
                break;
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(Long.parseLong(text), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(GcsStorageProvider.CHUNK_SIZE + ": '" + value
                    + "' is not a size (bytes, or with KiB/MiB, e.g. 8MiB)");
        }
        if (bytes <= 0 || bytes > MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException(GcsStorageProvider.CHUNK_SIZE + ": '" + value
                    + "' is out of range (256KiB to 256MiB)");
        }
        return (int) ((bytes + CHUNK_GRANULARITY - 1) / CHUNK_GRANULARITY * CHUNK_GRANULARITY);
    }

    static int maxRetries(String value) {
        int retries;
        try {
            retries = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(GcsStorageProvider.MAX_RETRIES + ": '" + value + "' is not a whole number");
        }
        if (retries < 0 || retries > MAX_MAX_RETRIES) {
            throw new IllegalArgumentException(GcsStorageProvider.MAX_RETRIES + ": " + retries
                    + " is out of range (0 to " + MAX_MAX_RETRIES + ")");
        }
        return retries;
    }
}
