package io.walstash.core.crypto;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLayer;
import java.io.IOException;

/** Puts {@link EncryptedStorage} over every storage {@link io.walstash.core.storage.Storages} opens. */
public final class EncryptionLayer implements StorageLayer {

    @Override
    public Storage over(Storage storage, Settings settings) throws IOException {
        return EncryptedStorage.over(storage, settings);
    }
}
