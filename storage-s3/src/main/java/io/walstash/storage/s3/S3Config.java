package io.walstash.storage.s3;

import static io.walstash.storage.s3.S3Declarations.ACCESS_KEY_ID;
import static io.walstash.storage.s3.S3Declarations.CA_FILE;
import static io.walstash.storage.s3.S3Declarations.CONDITIONAL_CREATE;
import static io.walstash.storage.s3.S3Declarations.ENDPOINT;
import static io.walstash.storage.s3.S3Declarations.FORCE_PATH_STYLE;
import static io.walstash.storage.s3.S3Declarations.MAX_RETRIES;
import static io.walstash.storage.s3.S3Declarations.PART_SIZE;
import static io.walstash.storage.s3.S3Declarations.REGION;
import static io.walstash.storage.s3.S3Declarations.REQUEST_TIMEOUT;
import static io.walstash.storage.s3.S3Declarations.SECRET_ACCESS_KEY;
import static io.walstash.storage.s3.S3Declarations.SESSION_TOKEN;
import static io.walstash.storage.s3.S3Declarations.SSE;
import static io.walstash.storage.s3.S3Declarations.SSE_C;
import static io.walstash.storage.s3.S3Declarations.SSE_KMS_KEY_ID;
import static io.walstash.storage.s3.S3Declarations.STORAGE_CLASS;

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
