package io.walstash.core.storage;

import io.walstash.core.config.Settings;
import java.io.IOException;
import java.net.URI;

/**
 * Opens storages of one URI scheme. Found with {@link java.util.ServiceLoader}: a backend ships
 * {@code META-INF/services/io.walstash.core.storage.StorageProvider} naming its implementation.
 *
 * <p>Implementations have a public no-argument constructor that does nothing expensive: every
 * provider on the class path is instantiated when any storage is opened.
 */
public interface StorageProvider {

    /** The URI scheme served, such as {@code file} or {@code s3}. */
    String scheme();

    /**
     * Opens the storage at {@code location}, whose scheme is {@link #scheme()}. Backend options
     * (credentials, endpoints) come from {@code settings}; they never appear in messages.
     */
    Storage open(URI location, Settings settings) throws IOException;
}
