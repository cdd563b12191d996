package io.walstash.storage.fs;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;

/** Opens {@code file:///absolute/path} storages: a directory on a local or mounted filesystem. */
public final class FileStorageProvider implements StorageProvider {

    /** Does nothing: ServiceLoader instantiates every provider whenever any storage is opened. */
    public FileStorageProvider() {
    }

    @Override
    public String scheme() {
        return FileLocation.SCHEME;
    }

    /** Creates the directory if missing. The file backend reads no settings. */
    @Override
    public Storage open(URI location, Settings settings) throws IOException {
        return FileStorage.open(new FileLocation(location).root());
    }

    @Override
    public String toString() {
        return "FileStorageProvider[" + scheme() + "]";
    }
}
