package io.walstash.storage.gcs;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;

/**
 * Opens {@code gs://bucket/prefix} storages in Google Cloud Storage, over the JSON API.
 *
 * <p>Its settings are declared in {@link GcsDeclarations}.
 * {@code WALG_GS_PREFIX} is accepted for {@code WALSTASH_STORAGE} by core's configuration.
 */
public final class GcsStorageProvider implements StorageProvider {
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

    @Override
    public String toString() {
        return "GcsStorageProvider[" + scheme() + "]";
    }
}
