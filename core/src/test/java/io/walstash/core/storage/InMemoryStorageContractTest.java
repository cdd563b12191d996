package io.walstash.core.storage;

/** The test double services are tested against keeps the same contract as real backends. */
class InMemoryStorageContractTest extends StorageContractTest {
    @Override
    protected Storage newStorage() {
        return new InMemoryStorage();
    }
}
