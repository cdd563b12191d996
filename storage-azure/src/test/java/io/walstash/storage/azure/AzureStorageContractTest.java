package io.walstash.storage.azure;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The storage contract for {@code azure://} against Azurite with the account key: a fresh container
 * per test, under a prefix so that prefix handling is exercised too. The block size and the listing
 * page are small, so that staged blocks (the contract's large and failing objects are several
 * blocks) and pagination are exercised without large objects.
 */
class AzureStorageContractTest extends StorageContractTest {
    @RegisterExtension
    static final AzuriteServer AZURITE = new AzuriteServer();

    private static final AtomicInteger CONTAINERS = new AtomicInteger();
    private static final int LIST_PAGE = 100;

    @Override
    protected Storage newStorage() throws Exception {
        Map<String, String> values = new HashMap<>(AZURITE.settings());
        values.put(AzureDeclarations.BLOCK_SIZE.name(), "256KiB");
        AzureSettings settings = AzureSettings.from(Settings.of(values)).withListPageSize(LIST_PAGE);
        URI uri = URI.create("azure://contract-" + CONTAINERS.incrementAndGet() + "/repo/pg-main");
        AzureStorage storage = AzureStorage.open(AzureLocation.of(uri), settings);
        storage.createBucketIfMissing();
        return storage;
    }

    @Override
    protected int listPageSize() {
        return LIST_PAGE;
    }
}
