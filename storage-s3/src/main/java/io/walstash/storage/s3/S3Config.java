package io.walstash.storage.s3;

import io.walstash.core.config.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    static final List<String> ACCESS_KEY_ID = List.of("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY");
    static final List<String> SECRET_ACCESS_KEY = List.of("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY");
    static final List<String> SESSION_TOKEN = List.of("AWS_SESSION_TOKEN");
    static final List<String> REGION = List.of("AWS_REGION", "AWS_DEFAULT_REGION");
    static final List<String> ENDPOINT = List.of("AWS_ENDPOINT");
    static final List<String> FORCE_PATH_STYLE = List.of("AWS_S3_FORCE_PATH_STYLE");
    static final List<String> PART_SIZE = List.of("WALSTASH_S3_PART_SIZE", "WALG_S3_MAX_PART_SIZE", "S3_MAX_PART_SIZE");
    static final List<String> SSE = List.of("WALSTASH_S3_SSE", "WALG_S3_SSE", "S3_SSE");
    static final List<String> SSE_KMS_KEY_ID = List.of("WALSTASH_S3_SSE_KMS_KEY_ID", "WALG_S3_SSE_KMS_ID", "S3_SSE_KMS_ID");
    static final List<String> SSE_C = List.of("WALG_S3_SSE_C", "S3_SSE_C");
    static final List<String> STORAGE_CLASS = List.of("WALSTASH_S3_STORAGE_CLASS", "WALG_S3_STORAGE_CLASS", "S3_STORAGE_CLASS");
    static final List<String> CA_FILE = List.of("WALSTASH_S3_CA_FILE", "WALG_S3_CA_CERT_FILE", "S3_CA_CERT_FILE");
    static final List<String> MAX_RETRIES = List.of("WALSTASH_S3_MAX_RETRIES", "WALG_S3_MAX_RETRIES", "S3_MAX_RETRIES");
    static final List<String> REQUEST_TIMEOUT = List.of("WALSTASH_S3_REQUEST_TIMEOUT");
    static final List<String> CONDITIONAL_CREATE = List.of("WALSTASH_S3_CONDITIONAL_CREATE");

    static final int MIN_PART_SIZE = 5 << 20;
    static final int DEFAULT_PART_SIZE = 16 << 20;
    /** Parts are buffered in one array each; S3 itself would take up to 5 GiB. */
    static final int MAX_PART_SIZE = 1 << 30;
    static final int DEFAULT_MAX_RETRIES = 5;
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMinutes(2);
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
        Optional<Setting> accessKey = first(settings, ACCESS_KEY_ID);
        Optional<Setting> secretKey = first(settings, SECRET_ACCESS_KEY);
        if (accessKey.isPresent() != secretKey.isPresent()) {
            String given = accessKey.map(Setting::name).orElseGet(() -> secretKey.get().name());
            String missing = accessKey.isPresent() ? SECRET_ACCESS_KEY.get(0) : ACCESS_KEY_ID.get(0);
            throw new IllegalArgumentException(given + " is set but " + missing + " is not; set both, or neither to use the AWS default credential chain");
        }
        Optional<Setting> token = first(settings, SESSION_TOKEN);
        if (token.isPresent() && accessKey.isEmpty()) {
            throw new IllegalArgumentException("AWS_SESSION_TOKEN is set without AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        }

        Optional<URI> endpoint = first(settings, ENDPOINT).map(S3Config::endpoint);
        Optional<String> region = first(settings, REGION).map(s -> {
            if (!s.value().matches("[a-z0-9-]+")) {
                throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a region name such as us-east-1");
            }
            return s.value();
        });
        boolean pathStyle = first(settings, FORCE_PATH_STYLE).map(S3Config::bool).orElse(false);

        int partSize = first(settings, PART_SIZE).map(S3Config::partSize).orElse(DEFAULT_PART_SIZE);

        Optional<Setting> sseC = first(settings, SSE_C);
        if (sseC.isPresent()) {
            throw new IllegalArgumentException(sseC.get().name() + " (SSE-C, customer-provided keys) is not supported by walstash; use "
                    + SSE.get(0) + "=aws:kms or client-side encryption");
        }
        Optional<String> sse = first(settings, SSE).map(S3Config::sse);
        Optional<String> kmsKeyId = first(settings, SSE_KMS_KEY_ID).map(s -> {
            if (sse.isEmpty() || !sse.get().startsWith("aws:kms")) {
                throw new IllegalArgumentException(s.name() + " is set but " + SSE.get(0) + " is not aws:kms");
            }
            return s.value();
        });
        Optional<String> storageClass = first(settings, STORAGE_CLASS).map(s -> {
            String value = s.value().toUpperCase(Locale.ROOT);
            if (!value.matches("[A-Z][A-Z_]*")) {
                throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a storage class such as STANDARD or STANDARD_IA");
            }
            return value;
        });
        Optional<Path> caFile = first(settings, CA_FILE).map(s -> Path.of(s.value()));
        int maxRetries = first(settings, MAX_RETRIES).map(s -> intIn(s, 0, 100)).orElse(DEFAULT_MAX_RETRIES);
        Duration requestTimeout = first(settings, REQUEST_TIMEOUT).map(S3Config::duration).orElse(DEFAULT_REQUEST_TIMEOUT);
        ConditionalCreate conditional = first(settings, CONDITIONAL_CREATE).map(S3Config::conditional).orElse(ConditionalCreate.AUTO);

        return new S3Config(accessKey.map(Setting::value), secretKey.map(Setting::value), token.map(Setting::value),
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

    // ---- parsing ----

    private record Setting(String name, String value) {
        @Override
        public String toString() {
            return name; // values may be secrets
        }
    }

    private static Optional<Setting> first(Settings settings, List<String> names) {
        for (String name : names) {
            Optional<String> value = settings.get(name).map(String::strip).filter(v -> !v.isEmpty());
            if (value.isPresent()) {
                return Optional.of(new Setting(name, value.get()));
            }
        }
        return Optional.empty();
    }

    private static URI endpoint(Setting s) {
        URI uri;
        try {
            uri = new URI(s.value());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(s.name() + " is not a URL: " + e.getReason());
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(s.name() + " must not carry credentials; use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException(s.name() + " '" + s.value() + "' must be an http:// or https:// URL such as http://minio:9000");
        }
        return uri;
    }

    private static boolean bool(Setting s) {
        switch (s.value().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on":
                return true;
            case "false", "0", "no", "off":
                return false;
            default:
                throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is neither true nor false");
        }
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]i?b?)?", Pattern.CASE_INSENSITIVE);

    /** Bytes, or a number with a binary unit: 16MiB, 16M, 16MB all mean 16 × 2^20. */
    private static int partSize(Setting s) {
        Matcher m = SIZE.matcher(s.value());
        if (!m.matches()) {
            throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a size such as 16777216 or 16MiB");
        }
        long value;
        try {
            value = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is too large");
        }
        String unit = m.group(2) == null ? "" : m.group(2).substring(0, 1).toLowerCase(Locale.ROOT);
        int shift = switch (unit) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        if (value > (Long.MAX_VALUE >> shift) || (value << shift) < MIN_PART_SIZE || (value << shift) > MAX_PART_SIZE) {
            throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is outside 5MiB..1GiB (S3 parts are at least 5 MiB; each part is held in memory)");
        }
        return (int) (value << shift);
    }

    private static String sse(Setting s) {
        String value = s.value();
        if (value.equalsIgnoreCase("AES256")) {
            return "AES256";
        }
        if (value.equalsIgnoreCase("aws:kms") || value.equalsIgnoreCase("aws:kms:dsse")) {
            return value.toLowerCase(Locale.ROOT);
        }
        throw new IllegalArgumentException(s.name() + " '" + value + "' is not one of AES256, aws:kms, aws:kms:dsse");
    }

    private static int intIn(Setting s, int min, int max) {
        try {
            int value = Integer.parseInt(s.value());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a whole number in " + min + ".." + max);
    }

    /** Seconds ("90"), or with a unit ("90s", "2m"), or ISO-8601 ("PT90S"). */
    private static Duration duration(Setting s) {
        String value = s.value().toLowerCase(Locale.ROOT);
        Duration d = null;
        try {
            if (value.startsWith("pt")) {
                d = Duration.parse(value);
            } else if (value.matches("\\d+s?")) {
                d = Duration.ofSeconds(Long.parseLong(value.replace("s", "")));
            } else if (value.matches("\\d+m")) {
                d = Duration.ofMinutes(Long.parseLong(value.replace("m", "")));
            }
        } catch (DateTimeParseException | NumberFormatException | ArithmeticException e) {
            d = null;
        }
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(Duration.ofHours(24)) > 0) {
            throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not a duration between 1s and 24h such as 120 or 2m");
        }
        return d;
    }

    private static ConditionalCreate conditional(Setting s) {
        for (ConditionalCreate c : ConditionalCreate.values()) {
            if (c.setting.equalsIgnoreCase(s.value())) {
                return c;
            }
        }
        throw new IllegalArgumentException(s.name() + " '" + s.value() + "' is not one of auto, if-none-match, check-then-put");
    }
}
