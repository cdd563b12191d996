package io.walstash.storage.gcs;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.util.List;

/**
 * The GCS adapter's settings, declared once; GcsSettings reads them. A class apart from the provider:
 * the daemon client's fast path lists every declaration and must load no storage class (DaemonIT).
 */
public final class GcsDeclarations implements SettingDeclarations {
    static final String GROUP = "gcs";
    /**
     * walstash's retry layer (WALSTASH_RETRIES, applied by Storages.open) is the one retry budget:
     * retries inside the SDK would run under each of its attempts and multiply with them.
     */
    static final String SDK_RETRIES_NOTE = "adds SDK-internal retries under each of walstash's WALSTASH_RETRIES attempts; the two multiply: leave it 0";
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
            .defaults(0).doc("the SDK's own retries of a request that failed with 429, 5xx or a connection problem")
            .deprecated(SDK_RETRIES_NOTE);

    static final List<Setting<?>> DECLARED = List.of(CREDENTIALS, ENDPOINT, PROJECT, CHUNK_SIZE, MAX_RETRIES);

    /** For ServiceLoader; the declarations are static. */
    public GcsDeclarations() {
    }

    @Override
    public List<Setting<?>> settings() {
        return DECLARED;
    }
}
