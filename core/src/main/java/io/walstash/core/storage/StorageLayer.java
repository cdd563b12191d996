package io.walstash.core.storage;

import io.walstash.core.config.Settings;
import java.io.IOException;

/**
 * A layer {@link Storages} puts over every adapter's storage, beneath the retry layer, found with
 * {@link java.util.ServiceLoader} through {@code META-INF/services/io.walstash.core.storage.StorageLayer}
 * (core's encryption at rest is one). Storage knows no layer by name, and each view a service takes
 * of the retry layer keeps the layers beneath it.
 */
public interface StorageLayer {

    /** {@code storage} under this layer as {@code settings} configure it; {@code storage} itself when it is off. */
    Storage over(Storage storage, Settings settings) throws IOException;
}
