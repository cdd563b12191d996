package io.walstash.storage.fs;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The storage contract for {@code file://}, opened through the provider on a directory that doesn't exist yet. */
class FileStorageContractTest extends StorageContractTest {
    @TempDir
    Path tempDir;

    @Override
    protected Storage newStorage() throws IOException {
        return new FileStorageProvider().open(tempDir.resolve("repo").toUri(), Settings.empty());
    }

    /** A file can't also be a directory: the second create fails naming its key. */
    @Override
    protected boolean supportsKeyThatIsAlsoAPrefix() {
        return false;
    }
}
