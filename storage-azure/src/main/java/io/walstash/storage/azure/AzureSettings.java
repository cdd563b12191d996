package io.walstash.storage.azure;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Azure backend's settings, read once from {@link Settings}. Names are WAL-G's where WAL-G has
 * one ({@code AZURE_STORAGE_ACCOUNT}, {@code AZURE_STORAGE_ACCESS_KEY}, {@code AZURE_STORAGE_SAS_TOKEN},
 * {@code AZURE_ENDPOINT_SUFFIX}, {@code AZURE_ENVIRONMENT_NAME}, {@code WALG_AZURE_BUFFER_SIZE},
 * {@code WALG_AZURE_MAX_BUFFERS}, {@code AZURE_TRY_TIMEOUT}), {@code WALSTASH_AZURE_*} otherwise.
 *
 * <p>Holds secrets: {@link #toString()} names the kind of credential, never its value.
 */
final class AzureSettings {
    static final String CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING";
    static final String ACCOUNT = "AZURE_STORAGE_ACCOUNT";
    static final String ACCESS_KEY = "AZURE_STORAGE_ACCESS_KEY";
    /** The Azure CLI's name for the account key, accepted too. */
    static final String ACCESS_KEY_CLI = "AZURE_STORAGE_KEY";
    static final String SAS_TOKEN = "AZURE_STORAGE_SAS_TOKEN";
    static final String ENDPOINT = "WALSTASH_AZURE_ENDPOINT";
    static final String ENDPOINT_SUFFIX = "AZURE_ENDPOINT_SUFFIX";
    static final String ENVIRONMENT_NAME = "AZURE_ENVIRONMENT_NAME";
    static final String BLOCK_SIZE = "WALSTASH_AZURE_BLOCK_SIZE";
    static final String MAX_BUFFERS = "WALSTASH_AZURE_MAX_BUFFERS";
    static final String MAX_RETRIES = "WALSTASH_AZURE_MAX_RETRIES";
    static final String TRY_TIMEOUT = "WALSTASH_AZURE_TRY_TIMEOUT";
    /** WAL-G's per-try timeout, in minutes. */
    static final String WALG_TRY_TIMEOUT = "AZURE_TRY_TIMEOUT";

    static final int DEFAULT_BLOCK_SIZE = 8 << 20;
    static final int MIN_BLOCK_SIZE = 1 << 10;
    static final int MAX_BLOCK_SIZE = 256 << 20;
    static final int DEFAULT_MAX_BUFFERS = 4;
    static final int DEFAULT_MAX_RETRIES = 3;
    static final Duration DEFAULT_TRY_TIMEOUT = Duration.ofMinutes(5);
    static final Duration DEFAULT_RETRY_DELAY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);
    /** Azure's largest page of a blob listing. */
    static final int DEFAULT_LIST_PAGE_SIZE = 5000;

    private static final String DEFAULT_ENDPOINT_SUFFIX = "core.windows.net";
    private static final Pattern ACCOUNT_NAME = Pattern.compile("[a-z0-9]{3,24}");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*([kmg]?)(?:i?b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|min|h)?", Pattern.CASE_INSENSITIVE);

    /** How requests are signed, in the order the settings are consulted. */
    enum Auth {
        /** {@code AZURE_STORAGE_CONNECTION_STRING}: account, key or SAS, and endpoints in one string. */
        CONNECTION_STRING,
        /** {@code AZURE_STORAGE_ACCOUNT} and {@code AZURE_STORAGE_ACCESS_KEY}: shared-key signing. */
        SHARED_KEY,
        /** {@code AZURE_STORAGE_ACCOUNT} and {@code AZURE_STORAGE_SAS_TOKEN}. */
        SAS_TOKEN,
        /** Only an account: azure-identity's DefaultAzureCredential (environment, workload or managed identity, Azure CLI). */
        DEFAULT_CREDENTIAL
    }

    private final Auth auth;
    private final String account;
    private final String secret;
    private final String endpoint;
    private final int blockSize;
    private final int maxBuffers;
    private final int maxRetries;
    private final Duration tryTimeout;
    private final Duration retryDelay;
    private final int listPageSize;

    private AzureSettings(Auth auth, String account, String secret, String endpoint, int blockSize, int maxBuffers,
            int maxRetries, Duration tryTimeout, Duration retryDelay, int listPageSize) {
        this.auth = auth;
        this.account = account;
        this.secret = secret;
        this.endpoint = endpoint;
        this.blockSize = blockSize;
        this.maxBuffers = maxBuffers;
        this.maxRetries = maxRetries;
        this.tryTimeout = tryTimeout;
        this.retryDelay = retryDelay;
        this.listPageSize = listPageSize;
    }

    /**
     * Reads and checks the settings. Fails with {@link Reason#NO_CREDENTIALS} when no account or
     * credential can be formed, and with {@link IllegalArgumentException} for a malformed number.
     * Neither message carries a secret.
     */
    static AzureSettings from(Settings settings) throws StorageFailure {
        int blockSize = size(settings, BLOCK_SIZE, DEFAULT_BLOCK_SIZE, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE,
                "WALG_AZURE_BUFFER_SIZE", "AZURE_BUFFER_SIZE");
        int maxBuffers = integer(settings, MAX_BUFFERS, DEFAULT_MAX_BUFFERS, 1, 64, "WALG_AZURE_MAX_BUFFERS", "AZURE_MAX_BUFFERS");
        int maxRetries = integer(settings, MAX_RETRIES, DEFAULT_MAX_RETRIES, 0, 100);
        Duration tryTimeout = tryTimeout(settings);
        String explicitEndpoint = settings.get(ENDPOINT).map(String::strip).map(AzureSettings::checkEndpoint).orElse(null);

        Optional<String> connectionString = settings.get(CONNECTION_STRING).map(String::strip);
        Optional<String> account = settings.get(ACCOUNT).map(String::strip);
        Optional<String> key = settings.get(ACCESS_KEY).or(() -> settings.get(ACCESS_KEY_CLI)).map(String::strip);
        Optional<String> sas = settings.get(SAS_TOKEN).map(String::strip);

        Auth auth;
        String secret;
        if (connectionString.isPresent()) {
            auth = Auth.CONNECTION_STRING;
            secret = connectionString.get();
        } else {
            if (account.isEmpty()) {
                if (key.isPresent() || sas.isPresent()) {
                    throw new StorageFailure(Reason.NO_CREDENTIALS, (key.isPresent() ? ACCESS_KEY : SAS_TOKEN)
                            + " is set but " + ACCOUNT + " is not; set the storage account name too");
                }
                throw new StorageFailure(Reason.NO_CREDENTIALS, "no Azure storage account configured: set " + ACCOUNT
                        + " (with " + ACCESS_KEY + " or " + SAS_TOKEN + ", or alone to use Azure AD credentials), or set "
                        + CONNECTION_STRING);
            }
            if (key.isPresent()) {
                auth = Auth.SHARED_KEY;
                secret = key.get();
                if (!isBase64(secret)) {
                    throw new StorageFailure(Reason.NO_CREDENTIALS, ACCESS_KEY + " for account '" + account.get()
                            + "' is not a base64 account key");
                }
            } else if (sas.isPresent()) {
                auth = Auth.SAS_TOKEN;
                secret = sas.get().startsWith("?") ? sas.get().substring(1) : sas.get();
                if (!secret.matches("(?s).*(^|&)sig=[^&]+.*")) {
                    throw new StorageFailure(Reason.NO_CREDENTIALS, SAS_TOKEN + " for account '" + account.get()
                            + "' is not a SAS token (it has no sig= parameter)");
                }
            } else {
                auth = Auth.DEFAULT_CREDENTIAL;
                secret = null;
            }
        }

        String endpoint = explicitEndpoint;
        if (endpoint == null && auth != Auth.CONNECTION_STRING) {
            String name = account.orElseThrow();
            if (!ACCOUNT_NAME.matcher(name).matches()) {
                throw new StorageFailure(Reason.NO_CREDENTIALS, ACCOUNT + " '" + name
                        + "' is not an Azure storage account name (3 to 24 lowercase letters and digits); for an emulator set "
                        + ENDPOINT + " too");
            }
            endpoint = "https://" + name + ".blob." + endpointSuffix(settings);
        }
        if (auth == Auth.DEFAULT_CREDENTIAL && !endpoint.toLowerCase(Locale.ROOT).startsWith("https:")) {
            throw new StorageFailure(Reason.NO_CREDENTIALS, "no " + ACCESS_KEY + ", " + SAS_TOKEN + " or " + CONNECTION_STRING
                    + " for account '" + account.get() + "', and Azure AD credentials need an https endpoint, not " + endpoint);
        }
        return new AzureSettings(auth, account.orElse(null), secret, endpoint, blockSize, maxBuffers, maxRetries,
                tryTimeout, DEFAULT_RETRY_DELAY, DEFAULT_LIST_PAGE_SIZE);
    }

    Auth auth() {
        return auth;
    }

    /** The storage account name, when given on its own; a connection string carries its own. */
    Optional<String> account() {
        return Optional.ofNullable(account);
    }

    /** The connection string, account key or SAS token (without '?'), per {@link #auth()}; null for the default credential. */
    String secret() {
        return secret;
    }

    /** The blob service endpoint, such as https://account.blob.core.windows.net; empty when a connection string names it. */
    Optional<String> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    /** Size of one staged block, and of the largest object uploaded in one request. */
    int blockSize() {
        return blockSize;
    }

    /** Blocks of one object uploaded at once. */
    int maxBuffers() {
        return maxBuffers;
    }

    /** Retries after a failed try; the SDK makes {@code maxRetries + 1} tries. */
    int maxRetries() {
        return maxRetries;
    }

    /** Longest time for one try of one request. */
    Duration tryTimeout() {
        return tryTimeout;
    }

    /** The first retry's delay; later retries wait exponentially longer, up to {@link #MAX_RETRY_DELAY}. */
    Duration retryDelay() {
        return retryDelay;
    }

    int listPageSize() {
        return listPageSize;
    }

    /** A copy with another first-retry delay (tests make failures fast). */
    AzureSettings withRetryDelay(Duration delay) {
        return new AzureSettings(auth, account, secret, endpoint, blockSize, maxBuffers, maxRetries, tryTimeout, delay, listPageSize);
    }

    /** A copy with another listing page size (tests exercise pagination with few objects). */
    AzureSettings withListPageSize(int pageSize) {
        return new AzureSettings(auth, account, secret, endpoint, blockSize, maxBuffers, maxRetries, tryTimeout, retryDelay, pageSize);
    }

    @Override
    public String toString() {
        return "AzureSettings[auth=" + auth + (account == null ? "" : ", account=" + account)
                + (endpoint == null ? "" : ", endpoint=" + endpoint) + ", blockSize=" + blockSize + ", maxBuffers=" + maxBuffers
                + ", maxRetries=" + maxRetries + ", tryTimeout=" + tryTimeout + "]";
    }

    // ---- parsing ----

    private static String checkEndpoint(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(ENDPOINT + " is not a URI: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("http") && !scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(ENDPOINT + " must be an http(s) URL such as https://account.blob.core.windows.net"
                    + " or http://127.0.0.1:10000/devstoreaccount1");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            // Said without the value: a SAS pasted here would be a secret.
            throw new IllegalArgumentException(ENDPOINT + " must have no user info, query or fragment; pass a SAS token in "
                    + SAS_TOKEN);
        }
        return text.replaceAll("/+$", "");
    }

    private static String endpointSuffix(Settings settings) {
        Optional<String> suffix = settings.get(ENDPOINT_SUFFIX).map(String::strip).map(s -> s.replaceAll("^\\.+", ""));
        if (suffix.isPresent()) {
            if (!suffix.get().matches("[A-Za-z0-9.-]+")) {
                throw new IllegalArgumentException(ENDPOINT_SUFFIX + " '" + suffix.get() + "' is not a DNS suffix such as core.windows.net");
            }
            return suffix.get();
        }
        // WAL-G's environment names; anything else means the public cloud, as in WAL-G.
        return switch (settings.get(ENVIRONMENT_NAME).map(String::strip).orElse("")) {
            case "AzureUSGovernmentCloud" -> "core.usgovcloudapi.net";
            case "AzureChinaCloud" -> "core.chinacloudapi.cn";
            case "AzureGermanCloud" -> "core.cloudapi.de";
            default -> DEFAULT_ENDPOINT_SUFFIX;
        };
    }

    private static boolean isBase64(String text) {
        try {
            return Base64.getDecoder().decode(text).length > 0;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Optional<NamedValue> first(Settings settings, String name, String... aliases) {
        Optional<String> value = settings.get(name);
        if (value.isPresent()) {
            return Optional.of(new NamedValue(name, value.get().strip()));
        }
        for (String alias : aliases) {
            Optional<String> aliased = settings.get(alias);
            if (aliased.isPresent()) {
                return Optional.of(new NamedValue(alias, aliased.get().strip()));
            }
        }
        return Optional.empty();
    }

    private record NamedValue(String name, String value) {
    }

    /** Bytes, optionally with a binary unit: 8388608, 8M, 8MiB, 512k. */
    static int size(Settings settings, String name, int defaultValue, int min, int max, String... aliases) {
        Optional<NamedValue> given = first(settings, name, aliases);
        if (given.isEmpty()) {
            return defaultValue;
        }
        Matcher m = SIZE.matcher(given.get().value());
        if (!m.matches()) {
            throw new IllegalArgumentException(given.get().name() + " must be a size in bytes such as 8388608 or 8MiB, got '"
                    + given.get().value() + "'");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        long value = Long.parseLong(m.group(1)) << shift;
        if (value < min || value > max) {
            throw new IllegalArgumentException(given.get().name() + " must be between " + min + " and " + max + " bytes, got '"
                    + given.get().value() + "'");
        }
        return (int) value;
    }

    static int integer(Settings settings, String name, int defaultValue, int min, int max, String... aliases) {
        Optional<NamedValue> given = first(settings, name, aliases);
        if (given.isEmpty()) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(given.get().value());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException(given.get().name() + " must be a whole number from " + min + " to " + max + ", got '"
                + given.get().value() + "'");
    }

    private static Duration tryTimeout(Settings settings) {
        Optional<String> own = settings.get(TRY_TIMEOUT).map(String::strip);
        if (own.isPresent()) {
            Matcher m = DURATION.matcher(own.get());
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
                Duration d = switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m", "min" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofSeconds(n);
                };
                if (!d.isZero()) {
                    return d;
                }
            }
            throw new IllegalArgumentException(TRY_TIMEOUT + " must be a positive duration such as 300 (seconds), 90s or 5m, got '"
                    + own.get() + "'");
        }
        return settings.get(WALG_TRY_TIMEOUT).isPresent()
                ? Duration.ofMinutes(integer(settings, WALG_TRY_TIMEOUT, 5, 1, 24 * 60))
                : DEFAULT_TRY_TIMEOUT;
    }
}
