package io.walstash.storage.azure;

import static io.walstash.storage.azure.AzureDeclarations.ACCESS_KEY;
import static io.walstash.storage.azure.AzureDeclarations.ACCOUNT;
import static io.walstash.storage.azure.AzureDeclarations.BLOCK_SIZE;
import static io.walstash.storage.azure.AzureDeclarations.CONNECTION_STRING;
import static io.walstash.storage.azure.AzureDeclarations.ENDPOINT;
import static io.walstash.storage.azure.AzureDeclarations.ENDPOINT_SUFFIX;
import static io.walstash.storage.azure.AzureDeclarations.ENVIRONMENT_NAME;
import static io.walstash.storage.azure.AzureDeclarations.MAX_BUFFERS;
import static io.walstash.storage.azure.AzureDeclarations.MAX_RETRIES;
import static io.walstash.storage.azure.AzureDeclarations.SAS_TOKEN;
import static io.walstash.storage.azure.AzureDeclarations.TRY_TIMEOUT;
import static io.walstash.storage.azure.AzureDeclarations.WALG_TRY_TIMEOUT;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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
    static final int DEFAULT_BLOCK_SIZE = (int) (long) BLOCK_SIZE.defaultValue();
    static final int MIN_BLOCK_SIZE = 1 << 10;
    static final int MAX_BLOCK_SIZE = 256 << 20;
    static final int DEFAULT_MAX_BUFFERS = MAX_BUFFERS.defaultValue();
    static final int DEFAULT_MAX_RETRIES = MAX_RETRIES.defaultValue();
    static final Duration DEFAULT_TRY_TIMEOUT = TRY_TIMEOUT.defaultValue();
    static final Duration DEFAULT_RETRY_DELAY = Duration.ofSeconds(1);
    static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(30);
    /** Azure's largest page of a blob listing. */
    static final int DEFAULT_LIST_PAGE_SIZE = 5000;

    private static final String DEFAULT_ENDPOINT_SUFFIX = "core.windows.net";
    private static final Pattern ACCOUNT_NAME = Pattern.compile("[a-z0-9]{3,24}");

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
        int blockSize = (int) (long) BLOCK_SIZE.get(settings);
        int maxBuffers = MAX_BUFFERS.get(settings);
        int maxRetries = MAX_RETRIES.get(settings);
        Duration tryTimeout = TRY_TIMEOUT.find(settings)
                .orElseGet(() -> WALG_TRY_TIMEOUT.find(settings).map(Duration::ofMinutes).orElse(DEFAULT_TRY_TIMEOUT));
        String explicitEndpoint = ENDPOINT.find(settings).map(AzureSettings::checkEndpoint).orElse(null);

        Optional<String> connectionString = CONNECTION_STRING.find(settings);
        Optional<String> account = ACCOUNT.find(settings);
        Optional<String> key = ACCESS_KEY.find(settings);
        Optional<String> sas = SAS_TOKEN.find(settings);

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

    /** Beyond a URL: no query or fragment (a SAS goes in its own setting), no trailing '/'. */
    private static String checkEndpoint(URI uri) {
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            // Said without the value: a SAS pasted here would be a secret.
            throw new IllegalArgumentException(ENDPOINT + " must have no user info, query or fragment; pass a SAS token in "
                    + SAS_TOKEN);
        }
        return uri.toString().replaceAll("/+$", "");
    }

    private static String endpointSuffix(Settings settings) {
        Optional<String> suffix = ENDPOINT_SUFFIX.find(settings).map(s -> s.replaceAll("^\\.+", ""));
        if (suffix.isPresent()) {
            if (!suffix.get().matches("[A-Za-z0-9.-]+")) {
                throw new IllegalArgumentException(ENDPOINT_SUFFIX + " '" + suffix.get() + "' is not a DNS suffix such as core.windows.net");
            }
            return suffix.get();
        }
        // WAL-G's environment names; anything else means the public cloud, as in WAL-G.
        return switch (ENVIRONMENT_NAME.find(settings).orElse("")) {
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

}
