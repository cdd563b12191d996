package io.walstash.storage.s3;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingType;
import io.walstash.core.config.Settings;
import io.walstash.core.config.Settings.Given;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The S3 adapter's settings, read once from {@link Settings}. walstash's own names come first;
 * where WAL-G has a name for the same thing it is accepted too. {@link #toString()} never shows
 * the secret key or the session token.
 */
record S3Config(
        Optional<String> accessKeyId,
        Optional<String> secretAccessKey,
        Optional<String> sessionToken,
        Optional<String> region,
        Optional<URI> endpoint,
        boolean forcePathStyle,
        int partSize,
        Optional<String> sse,
        Optional<String> kmsKeyId,
        Optional<String> storageClass,
        Optional<Path> caFile,
        int maxRetries,
        Duration requestTimeout,
        ConditionalCreate conditionalCreate,
        int listPageSize) {

    static final String GROUP = "s3";
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
            .alias("WALG_S3_MAX_RETRIES", "S3_MAX_RETRIES").defaults(5).doc("the SDK's retries of a failed request");
    static final Setting<Duration> REQUEST_TIMEOUT = Setting.of(GROUP, "WALSTASH_S3_REQUEST_TIMEOUT",
                    SettingType.duration(Duration.ofSeconds(1), Duration.ofHours(24)))
            .defaults(Duration.ofMinutes(2)).doc("the most one attempt of one request may take");
    static final Setting<String> CONDITIONAL_CREATE = Setting.of(GROUP, "WALSTASH_S3_CONDITIONAL_CREATE",
                    SettingType.choice("auto", "if-none-match", "check-then-put"))
            .defaults("auto").doc("how creates keep from overwriting: If-None-Match, or check-then-put for stores that ignore it");

    /** Every S3 setting, for the catalogue ({@link S3StorageProvider#settings()}). */
    static final List<Setting<?>> DECLARED = List.of(ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, REGION, ENDPOINT,
            FORCE_PATH_STYLE, PART_SIZE, SSE, SSE_KMS_KEY_ID, SSE_C, STORAGE_CLASS, CA_FILE, MAX_RETRIES, REQUEST_TIMEOUT,
            CONDITIONAL_CREATE);

    static final int MIN_PART_SIZE = 5 << 20;
    static final int DEFAULT_PART_SIZE = (int) (long) PART_SIZE.defaultValue();
    /** Parts are buffered in one array each; S3 itself would take up to 5 GiB. */
    static final int MAX_PART_SIZE = 1 << 30;
    static final int DEFAULT_MAX_RETRIES = MAX_RETRIES.defaultValue();
    static final Duration DEFAULT_REQUEST_TIMEOUT = REQUEST_TIMEOUT.defaultValue();
    static final String DEFAULT_ENDPOINT_REGION = "us-east-1";

    /** How {@code createIfAbsent} keeps from overwriting. */
    enum ConditionalCreate {
        /** {@code If-None-Match: *}; when the store refuses the header (501), check-then-put from then on. */
        AUTO("auto"),
        /** {@code If-None-Match: *} only; a store that refuses it fails the create. */
        IF_NONE_MATCH("if-none-match"),
        /** HEAD, then an unconditional PUT, then a HEAD that compares ETags: for stores that ignore the header. */
        CHECK_THEN_PUT("check-then-put");

        final String setting;

        ConditionalCreate(String setting) {
            this.setting = setting;
        }
    }

    S3Config {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        Objects.requireNonNull(sessionToken, "sessionToken");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(sse, "sse");
        Objects.requireNonNull(kmsKeyId, "kmsKeyId");
        Objects.requireNonNull(storageClass, "storageClass");
        Objects.requireNonNull(caFile, "caFile");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(conditionalCreate, "conditionalCreate");
        if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
            throw new IllegalArgumentException("part size " + partSize + " is outside " + MIN_PART_SIZE + ".." + MAX_PART_SIZE);
        }
        if (listPageSize < 1 || listPageSize > 1000) {
            throw new IllegalArgumentException("list page size " + listPageSize + " is outside 1..1000");
        }
    }

    /** Reads every S3 setting; fails with a one-line message naming the setting, never a secret value. */
    static S3Config from(Settings settings) {
        Optional<Given> accessKey = settings.given(ACCESS_KEY_ID);
        Optional<Given> secretKey = settings.given(SECRET_ACCESS_KEY);
        if (accessKey.isPresent() != secretKey.isPresent()) {
            String given = accessKey.map(Given::name).orElseGet(() -> secretKey.get().name());
            String missing = accessKey.isPresent() ? SECRET_ACCESS_KEY.name() : ACCESS_KEY_ID.name();
            throw new IllegalArgumentException(given + " is set but " + missing + " is not; set both, or neither to use the AWS default credential chain");
        }
        Optional<Given> token = settings.given(SESSION_TOKEN);
        if (token.isPresent() && accessKey.isEmpty()) {
            throw new IllegalArgumentException(SESSION_TOKEN.name() + " is set without " + ACCESS_KEY_ID.name() + " and "
                    + SECRET_ACCESS_KEY.name());
        }

        Optional<URI> endpoint = ENDPOINT.find(settings);
        Optional<String> region = settings.given(REGION).map(s -> {
            if (!s.value().matches("[a-z0-9-]+")) {
                throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a region name such as us-east-1");
            }
            return s.value();
        });
        boolean pathStyle = FORCE_PATH_STYLE.get(settings);
        int partSize = (int) (long) PART_SIZE.get(settings);

        Optional<Given> sseC = settings.given(SSE_C);
        if (sseC.isPresent()) {
            throw new IllegalArgumentException(sseC.get().name() + " (SSE-C, customer-provided keys) is not supported by walstash; use "
                    + SSE.name() + "=aws:kms or client-side encryption");
        }
        Optional<String> sse = SSE.find(settings);
        Optional<String> kmsKeyId = settings.given(SSE_KMS_KEY_ID).map(s -> {
            if (sse.isEmpty() || !sse.get().startsWith("aws:kms")) {
                throw new IllegalArgumentException(s.name() + " is set but " + SSE.name() + " is not aws:kms");
            }
            return s.value();
        });
        Optional<String> storageClass = settings.given(STORAGE_CLASS).map(s -> {
            String value = s.value().toUpperCase(Locale.ROOT);
            if (!value.matches("[A-Z][A-Z_]*")) {
                throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a storage class such as STANDARD or STANDARD_IA");
            }
            return value;
        });
        Optional<Path> caFile = CA_FILE.find(settings).map(Path::of);
        int maxRetries = MAX_RETRIES.get(settings);
        Duration requestTimeout = REQUEST_TIMEOUT.get(settings);
        ConditionalCreate conditional = conditional(CONDITIONAL_CREATE.get(settings));

        return new S3Config(accessKey.map(Given::value), secretKey.map(Given::value), token.map(Given::value),
                region, endpoint, pathStyle, partSize, sse, kmsKeyId, storageClass, caFile, maxRetries, requestTimeout,
                conditional, 1000);
    }

    /** Region to sign for: the one set, else us-east-1 when an endpoint is set, else empty (the SDK's region chain). */
    Optional<String> effectiveRegion() {
        return region.isPresent() ? region : endpoint.map(e -> DEFAULT_ENDPOINT_REGION);
    }

    S3Config withListPageSize(int size) {
        return new S3Config(accessKeyId, secretAccessKey, sessionToken, region, endpoint, forcePathStyle, partSize, sse,
                kmsKeyId, storageClass, caFile, maxRetries, requestTimeout, conditionalCreate, size);
    }

    /** Where requests go, for messages: the endpoint, or AWS and its region. */
    String describeEndpoint() {
        return endpoint.map(URI::toString).orElseGet(() -> "AWS S3" + region.map(r -> " (" + r + ")").orElse(""));
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("endpoint=" + describeEndpoint());
        parts.add("credentials=" + (accessKeyId.isPresent() ? "static key " + masked(accessKeyId.get())
                + (sessionToken.isPresent() ? " with session token" : "") : "default chain"));
        region.ifPresent(r -> parts.add("region=" + r));
        if (forcePathStyle) {
            parts.add("pathStyle");
        }
        parts.add("partSize=" + partSize);
        sse.ifPresent(s -> parts.add("sse=" + s));
        kmsKeyId.ifPresent(k -> parts.add("kmsKeyId=" + k));
        storageClass.ifPresent(c -> parts.add("storageClass=" + c));
        caFile.ifPresent(f -> parts.add("caFile=" + f));
        parts.add("maxRetries=" + maxRetries);
        parts.add("requestTimeout=" + requestTimeout);
        parts.add("conditionalCreate=" + conditionalCreate.setting);
        return "S3Config[" + String.join(", ", parts) + "]";
    }

    /** The first four characters of a key id: enough to tell keys apart, not to use one. */
    static String masked(String keyId) {
        return keyId.length() <= 4 ? "****" : keyId.substring(0, 4) + "****";
    }

    /** The declared choice as the enum (CONDITIONAL_CREATE's choices are the enum's settings). */
    private static ConditionalCreate conditional(String setting) {
        for (ConditionalCreate c : ConditionalCreate.values()) {
            if (c.setting.equals(setting)) {
                return c;
            }
        }
        throw new IllegalStateException(setting);
    }
}
