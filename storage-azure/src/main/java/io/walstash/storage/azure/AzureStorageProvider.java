package io.walstash.storage.azure;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;

/**
 * Opens {@code azure://container/prefix} storages in Azure Blob Storage (or Azurite).
 *
 * <p>Settings: {@code AZURE_STORAGE_CONNECTION_STRING}; or {@code AZURE_STORAGE_ACCOUNT} with
 * {@code AZURE_STORAGE_ACCESS_KEY} (also {@code AZURE_STORAGE_KEY}) or {@code AZURE_STORAGE_SAS_TOKEN};
 * or {@code AZURE_STORAGE_ACCOUNT} alone for azure-identity's DefaultAzureCredential.
 * {@code WALSTASH_AZURE_ENDPOINT} overrides the blob service endpoint (for Azurite:
 * {@code http://127.0.0.1:10000/devstoreaccount1}); WAL-G's {@code AZURE_ENDPOINT_SUFFIX} and
 * {@code AZURE_ENVIRONMENT_NAME} choose the cloud. {@code WALSTASH_AZURE_BLOCK_SIZE} (WAL-G's
 * {@code WALG_AZURE_BUFFER_SIZE}), {@code WALSTASH_AZURE_MAX_BUFFERS} ({@code WALG_AZURE_MAX_BUFFERS}),
 * and {@code WALSTASH_AZURE_TRY_TIMEOUT} (WAL-G's {@code AZURE_TRY_TIMEOUT}, in minutes) tune uploads and
 * the SDK's timeout per try. The SDK makes one try per request: walstash's retry layer retries;
 * the deprecated {@code WALSTASH_AZURE_MAX_RETRIES} adds SDK retries under it.
 */
public final class AzureStorageProvider implements StorageProvider {

    /** Does nothing: ServiceLoader instantiates every provider whenever any storage is opened. */
    public AzureStorageProvider() {
    }

    @Override
    public String scheme() {
        return AzureLocation.SCHEME;
    }

    /** Builds the client; no request is made until the storage is used. */
    @Override
    public Storage open(URI location, Settings settings) throws IOException {
        return AzureStorage.open(AzureLocation.of(location), AzureSettings.from(settings));
    }

    @Override
    public String toString() {
        return "AzureStorageProvider[" + scheme() + "]";
    }
}
