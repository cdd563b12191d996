package io.walstash.storage.azure;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The Azure adapter's settings, declared once; AzureSettings reads them. A class apart from the provider:
 * the daemon client's fast path lists every declaration and must load no storage class (DaemonIT).
 */
public final class AzureDeclarations implements SettingDeclarations {
    static final String GROUP = "azure";
    /**
     * walstash's retry layer (WALSTASH_RETRIES, applied by Storages.open) is the one retry budget:
     * retries inside the SDK would run under each of its attempts and multiply with them.
     */
    static final String SDK_RETRIES_NOTE = "adds SDK-internal retries under each of walstash's WALSTASH_RETRIES attempts; the two multiply: leave it 0";
    static final Setting<String> CONNECTION_STRING = Setting.of(GROUP, "AZURE_STORAGE_CONNECTION_STRING", SettingType.text())
            .asSecret().doc("connection string: account, key or SAS, and endpoints in one");
    static final Setting<String> ACCOUNT = Setting.of(GROUP, "AZURE_STORAGE_ACCOUNT", SettingType.text())
            .doc("storage account; alone: DefaultAzureCredential (managed identity, CLI login, ...)");
    /** AZURE_STORAGE_KEY is the Azure CLI's name for the account key. */
    static final Setting<String> ACCESS_KEY = Setting.of(GROUP, "AZURE_STORAGE_ACCESS_KEY", SettingType.text())
            .alias("AZURE_STORAGE_KEY").asSecret().doc("the account's shared key");
    static final Setting<String> SAS_TOKEN = Setting.of(GROUP, "AZURE_STORAGE_SAS_TOKEN", SettingType.text()).asSecret()
            .doc("a SAS token for the account");
    static final Setting<URI> ENDPOINT = Setting.of(GROUP, "WALSTASH_AZURE_ENDPOINT", SettingType.url())
            .doc("blob endpoint, e.g. Azurite's; else https://<account>.blob.<AZURE_ENDPOINT_SUFFIX>");
    static final Setting<String> ENDPOINT_SUFFIX = Setting.of(GROUP, "AZURE_ENDPOINT_SUFFIX", SettingType.text())
            .doc("DNS suffix of the blob endpoint (default core.windows.net, or per AZURE_ENVIRONMENT_NAME)");
    static final Setting<String> ENVIRONMENT_NAME = Setting.of(GROUP, "AZURE_ENVIRONMENT_NAME", SettingType.text())
            .doc("AzureUSGovernmentCloud, AzureChinaCloud or AzureGermanCloud; else the public cloud");
    static final Setting<Long> BLOCK_SIZE = Setting.of(GROUP, "WALSTASH_AZURE_BLOCK_SIZE", SettingType.size(1L << 10, 256L << 20))
            .alias("WALG_AZURE_BUFFER_SIZE", "AZURE_BUFFER_SIZE").defaults(8L << 20)
            .doc("size of a staged block, and of the largest object uploaded in one request");
    static final Setting<Integer> MAX_BUFFERS = Setting.of(GROUP, "WALSTASH_AZURE_MAX_BUFFERS", SettingType.count(1, 64))
            .alias("WALG_AZURE_MAX_BUFFERS", "AZURE_MAX_BUFFERS").defaults(4).doc("blocks of one object uploaded at once");
    static final Setting<Integer> MAX_RETRIES = Setting.of(GROUP, "WALSTASH_AZURE_MAX_RETRIES", SettingType.count(0, 100))
            .defaults(0).doc("the SDK's own retries of a failed try").deprecated(SDK_RETRIES_NOTE);
    static final Setting<Duration> TRY_TIMEOUT = Setting.of(GROUP, "WALSTASH_AZURE_TRY_TIMEOUT",
                    SettingType.duration(Duration.ofMillis(1), Duration.ofMillis(Long.MAX_VALUE)))
            .defaults(Duration.ofMinutes(5)).doc("the longest time for one try of one request");
    /** WAL-G's per-try timeout: a bare number means minutes here, so it cannot be an alias of TRY_TIMEOUT. */
    static final Setting<Integer> WALG_TRY_TIMEOUT = Setting.of(GROUP, "AZURE_TRY_TIMEOUT", SettingType.count(1, 24 * 60))
            .doc("WAL-G's per-try timeout in minutes; WALSTASH_AZURE_TRY_TIMEOUT wins");

    static final List<Setting<?>> DECLARED = List.of(CONNECTION_STRING, ACCOUNT, ACCESS_KEY, SAS_TOKEN, ENDPOINT,
            ENDPOINT_SUFFIX, ENVIRONMENT_NAME, BLOCK_SIZE, MAX_BUFFERS, MAX_RETRIES, TRY_TIMEOUT, WALG_TRY_TIMEOUT);

    /** For ServiceLoader; the declarations are static. */
    public AzureDeclarations() {
    }

    @Override
    public List<Setting<?>> settings() {
        return DECLARED;
    }
}
