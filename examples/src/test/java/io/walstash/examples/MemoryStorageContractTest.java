package io.walstash.examples;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import java.util.UUID;

/** What a plugin author does: run core's storage contract test against the plugin, opened by its scheme. */
class MemoryStorageContractTest extends StorageContractTest {
    @Override
    protected Storage newStorage() throws Exception {
        return Storages.open(StorageLocation.parse("mem://contract-" + UUID.randomUUID()), Settings.empty());
    }
}
