package io.walstash.storage.s3;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The S3 adapter's settings, declared once; S3Config reads them. A class apart from the provider:
 * the daemon client's fast path lists every declaration and must load no storage class (DaemonIT).
 */
public final class S3Declarations implements SettingDeclarations {
    static final String GROUP = "s3";
    /**
     * walstash's retry layer (WALSTASH_RETRIES, applied by Storages.open) is the one retry budget:
     * retries inside the SDK would run under each of its attempts and multiply with them.
     */
    static final String SDK_RETRIES_NOTE = "adds SDK-internal retries under each of walstash's WALSTASH_RETRIES attempts; the two multiply: leave it 0";
    static final Setting<String> ACCESS_KEY_ID = Setting.of(GROUP, "AWS_ACCESS_KEY_ID", SettingType.text()).alias("AWS_ACCESS_KEY")
            .doc("access key id; with AWS_SECRET_ACCESS_KEY, else the AWS default credential chain");
    static final Setting<String> SECRET_ACCESS_KEY = Setting.of(GROUP, "AWS_SECRET_ACCESS_KEY", SettingType.text())
            .alias("AWS_SECRET_KEY").asSecret().doc("secret access key");
    static final Setting<String> SESSION_TOKEN = Setting.of(GROUP, "AWS_SESSION_TOKEN", SettingType.text()).asSecret()
            .doc("session token of temporary credentials");
    static final Setting<String> REGION = Setting.of(GROUP, "AWS_REGION", SettingType.text()).alias("AWS_DEFAULT_REGION")
            .doc("region to sign for (us-east-1 when an endpoint is set, else the SDK's region chain)");
    static final Setting<URI> ENDPOINT = Setting.of(GROUP, "AWS_ENDPOINT", SettingType.url())
            .doc("an S3-compatible endpoint such as http://minio:9000");
    static final Setting<Boolean> FORCE_PATH_STYLE = Setting.of(GROUP, "AWS_S3_FORCE_PATH_STYLE", SettingType.bool())
            .defaults(false).doc("path-style requests (MinIO, s3proxy)");
    static final Setting<Long> PART_SIZE = Setting.of(GROUP, "WALSTASH_S3_PART_SIZE", SettingType.size(5L << 20, 1L << 30))
            .alias("WALG_S3_MAX_PART_SIZE", "S3_MAX_PART_SIZE").defaults(16L << 20)
            .doc("multipart part size; each part is held in memory");
    static final Setting<String> SSE = Setting.of(GROUP, "WALSTASH_S3_SSE", SettingType.choice("AES256", "aws:kms", "aws:kms:dsse"))
            .alias("WALG_S3_SSE", "S3_SSE").doc("server-side encryption");
    static final Setting<String> SSE_KMS_KEY_ID = Setting.of(GROUP, "WALSTASH_S3_SSE_KMS_KEY_ID", SettingType.text())
            .alias("WALG_S3_SSE_KMS_ID", "S3_SSE_KMS_ID").doc("the KMS key of WALSTASH_S3_SSE=aws:kms");
    static final Setting<String> SSE_C = Setting.of(GROUP, "WALG_S3_SSE_C", SettingType.text()).alias("S3_SSE_C").asSecret()
            .doc("refused: SSE-C (customer-provided keys) is not supported");
    static final Setting<String> STORAGE_CLASS = Setting.of(GROUP, "WALSTASH_S3_STORAGE_CLASS", SettingType.text())
            .alias("WALG_S3_STORAGE_CLASS", "S3_STORAGE_CLASS").doc("storage class of new objects, such as STANDARD_IA");
    static final Setting<String> CA_FILE = Setting.of(GROUP, "WALSTASH_S3_CA_FILE", SettingType.text())
            .alias("WALG_S3_CA_CERT_FILE", "S3_CA_CERT_FILE").doc("a PEM file of CA certificates to trust too");
    static final Setting<Integer> MAX_RETRIES = Setting.of(GROUP, "WALSTASH_S3_MAX_RETRIES", SettingType.count(0, 100))
            .alias("WALG_S3_MAX_RETRIES", "S3_MAX_RETRIES").defaults(0).doc("the SDK's own retries of a failed request")
            .deprecated(SDK_RETRIES_NOTE);
    static final Setting<Duration> REQUEST_TIMEOUT = Setting.of(GROUP, "WALSTASH_S3_REQUEST_TIMEOUT",
                    SettingType.duration(Duration.ofSeconds(1), Duration.ofHours(24)))
            .defaults(Duration.ofMinutes(2)).doc("the most one attempt of one request may take");
    static final Setting<String> CONDITIONAL_CREATE = Setting.of(GROUP, "WALSTASH_S3_CONDITIONAL_CREATE",
                    SettingType.choice("auto", "if-none-match", "check-then-put"))
            .defaults("auto").doc("how creates keep from overwriting: If-None-Match, or check-then-put for stores that ignore it");

    static final List<Setting<?>> DECLARED = List.of(ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, REGION, ENDPOINT,
            FORCE_PATH_STYLE, PART_SIZE, SSE, SSE_KMS_KEY_ID, SSE_C, STORAGE_CLASS, CA_FILE, MAX_RETRIES, REQUEST_TIMEOUT,
            CONDITIONAL_CREATE);

    /** For ServiceLoader; the declarations are static. */
    public S3Declarations() {
    }

    @Override
    public List<Setting<?>> settings() {
        return DECLARED;
    }
}
