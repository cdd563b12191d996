package io.walstash.storage.gcs;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
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
 *   <li>{@code GOOGLE_APPLICATION_CREDENTIALS}: a service-account JSON key file; without it, application-default
 *       credentials (none against a custom endpoint)</li>
 *   <li>{@code WALSTASH_GCS_ENDPOINT}: a custom endpoint such as {@code http://127.0.0.1:4443} for emulators
 *       and tests; {@code STORAGE_EMULATOR_HOST} ({@code host:port}) is accepted too</li>
 *   <li>{@code WALSTASH_GCS_PROJECT} or {@code GOOGLE_CLOUD_PROJECT}: the project {@code check
 *       --create-bucket} creates the bucket in (default: the service account's)</li>
 *   <li>{@code WALSTASH_GCS_CHUNK_SIZE}: bytes per resumable-upload request (default 8MiB, a multiple of
 *       256KiB); smaller content is sent in one request</li>
 *   <li>{@code WALSTASH_GCS_MAX_RETRIES}: retries of a request that failed with 429, 5xx or a connection
 *       problem, with exponential backoff (default 5)</li>
 * </ul>
 * {@code WALG_GS_PREFIX} is accepted for {@code WALSTASH_STORAGE} by core's configuration.
 */
public final class GcsStorageProvider implements StorageProvider, SettingDeclarations {
    static final String GROUP = "gcs";
    public static final Setting<String> CREDENTIALS = Setting.of(GROUP, "GOOGLE_APPLICATION_CREDENTIALS", SettingType.text())
            .doc("service-account key file; else application-default credentials (none against a custom endpoint)");
    /** STORAGE_EMULATOR_HOST is often a bare host:port, taken as http. */
    public static final Setting<String> ENDPOINT = Setting.of(GROUP, "WALSTASH_GCS_ENDPOINT", SettingType.text())
            .alias("STORAGE_EMULATOR_HOST").doc("another endpoint such as http://127.0.0.1:4443, for emulators and tests");
    public static final Setting<String> PROJECT = Setting.of(GROUP, "WALSTASH_GCS_PROJECT", SettingType.text())
            .alias("GOOGLE_CLOUD_PROJECT").doc("project check --create-bucket creates the bucket in (default: the service account's)");
    public static final Setting<Long> CHUNK_SIZE = Setting.of(GROUP, "WALSTASH_GCS_CHUNK_SIZE", SettingType.size(1, 256L << 20))
            .defaults(8L << 20).doc("bytes per resumable-upload request, rounded up to 256KiB; smaller content goes in one request");
    public static final Setting<Integer> MAX_RETRIES = Setting.of(GROUP, "WALSTASH_GCS_MAX_RETRIES", SettingType.count(0, 20))
            .defaults(5).doc("the SDK's retries of a request that failed with 429, 5xx or a connection problem");

    /** Every setting this provider reads. */
    static final List<Setting<?>> DECLARED = List.of(CREDENTIALS, ENDPOINT, PROJECT, CHUNK_SIZE, MAX_RETRIES);

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

    /** The GCS settings (a second service of this class: the catalogue's). */
    @Override
    public List<Setting<?>> settings() {
        return DECLARED;
    }

    @Override
    public String toString() {
        return "GcsStorageProvider[" + scheme() + "]";
    }
}
