package io.walstash.core.storage;

import io.walstash.core.config.ServiceProviders;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.TreeSet;

/** Finds the {@link StorageProvider} for a URI scheme on the class path. */
public final class Storages {
    private Storages() {
    }

    /**
     * Opens the storage at {@code location} with the provider registered for its scheme, under the
     * one retry layer ({@link RetryingStorage} with {@link RetryPolicy#from} the settings), so that
     * every command and the daemon retry alike.
     */
    public static Storage open(StorageLocation location, Settings settings) throws IOException {
        RetryPolicy policy = RetryPolicy.from(settings);
        return RetryingStorage.wrap(openLayered(location, settings), policy);
    }

    /**
     * The adapter's storage at {@code location} under every {@link StorageLayer} on the class path
     * (encryption at rest), without the retry layer: for a caller that puts it beneath its own.
     */
    public static Storage openLayered(StorageLocation location, Settings settings) throws IOException {
        Storage storage = provider(location.uri().getScheme()).open(location.uri(), settings);
        try {
            for (StorageLayer layer : ServiceProviders.load(StorageLayer.class, Thread.currentThread().getContextClassLoader())) {
                storage = layer.over(storage, settings);
            }
            return storage;
        } catch (IOException | RuntimeException e) {
            try {
                storage.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** The provider for {@code scheme}; fails naming the scheme asked for and those known. */
    public static StorageProvider provider(String scheme) {
        return provider(scheme, Thread.currentThread().getContextClassLoader());
    }

    static StorageProvider provider(String scheme, ClassLoader loader) {
        List<StorageProvider> providers = ServiceProviders.load(StorageProvider.class, loader);
        for (StorageProvider provider : providers) {
            if (scheme.equalsIgnoreCase(provider.scheme())) {
                return provider;
            }
        }
        TreeSet<String> known = new TreeSet<>();
        providers.forEach(p -> known.add(p.scheme()));
        throw new IllegalArgumentException("no storage provider for scheme '" + scheme
                + "' (known: " + String.join(", ", known) + ")");
    }
}
