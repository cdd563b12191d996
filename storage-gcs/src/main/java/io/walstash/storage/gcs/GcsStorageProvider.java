package io.walstash.storage.gcs;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;
import java.util.List;

/**
 * Opens {@code gs://bucket/prefix} storages in Google Cloud Storage, over the JSON API.
 *
 * <p>Settings read (environment-variable names):
 * <ul>
 *   <li>{@value #CREDENTIALS}: a service-account JSON key file; without it, application-default
 *       credentials (none against a custom endpoint)</li>
 *   <li>{@value #ENDPOINT}: a custom endpoint such as {@code http://127.0.0.1:4443} for emulators
 *       and tests; {@value #EMULATOR_HOST} ({@code host:port}) is accepted too</li>
 *   <li>{@value #PROJECT} or {@value #GOOGLE_CLOUD_PROJECT}: the project {@code check
 *       --create-bucket} creates the bucket in (default: the service account's)</li>
 *   <li>{@value #CHUNK_SIZE}: bytes per resumable-upload request (default 8MiB, a multiple of
 *       256KiB); smaller content is sent in one request</li>
 *   <li>{@value #MAX_RETRIES}: retries of a request that failed with 429, 5xx or a connection
 *       problem, with exponential backoff (default 5)</li>
 * </ul>
 * {@code WALG_GS_PREFIX} is accepted for {@code WALSTASH_STORAGE} by core's configuration.
 */
public final class GcsStorageProvider implements StorageProvider {
    public static final String CREDENTIALS = "GOOGLE_APPLICATION_CREDENTIALS";
    public static final String ENDPOINT = "WALSTASH_GCS_ENDPOINT";
    public static final String EMULATOR_HOST = "STORAGE_EMULATOR_HOST";
    public static final String PROJECT = "WALSTASH_GCS_PROJECT";
    public static final String GOOGLE_CLOUD_PROJECT = "GOOGLE_CLOUD_PROJECT";
    public static final String CHUNK_SIZE = "WALSTASH_GCS_CHUNK_SIZE";
    public static final String MAX_RETRIES = "WALSTASH_GCS_MAX_RETRIES";

    /** Every setting this provider reads. */
    public static final List<String> SETTINGS = List.of(
            CREDENTIALS, ENDPOINT, EMULATOR_HOST, PROJECT, GOOGLE_CLOUD_PROJECT, CHUNK_SIZE, MAX_RETRIES);

    /** Does nothing: ServiceLoader instantiates every provider whenever any storage is opened. */
    public GcsStorageProvider() {
    }

    @Override
    public String scheme() {
        return GcsLocation.SCHEME;
    }

    /**
     * Builds the client; sends no request. Fails with a {@link io.walstash.core.storage.StorageFailure}
     * (NO_CREDENTIALS) when the credentials can't be found or read.
     */
    @Override
    public Storage open(URI location, Settings settings) throws IOException {
        return GcsStorage.open(GcsLocation.of(location), GcsSettings.from(settings));
    }

    @Override
    public String toString() {
        return "GcsStorageProvider[" + scheme() + "]";
    }
}
