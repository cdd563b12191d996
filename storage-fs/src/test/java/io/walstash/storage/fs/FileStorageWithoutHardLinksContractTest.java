package io.walstash.storage.fs;

import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract for the rename fallback used on filesystems without hard links. Its
 * concurrent-creators guarantee holds within one JVM (see {@code FileStorage#moveWithoutReplace}).
 */
class FileStorageWithoutHardLinksContractTest extends StorageContractTest {
    @TempDir
    Path tempDir;

    @Override
    protected Storage newStorage() throws IOException {
        return FileStorage.open(tempDir.resolve("repo"), false);
    }

    @Override
    protected boolean supportsKeyThatIsAlsoAPrefix() {
        return false;
    }

    /** Two and a half pages of the hint are plenty here; the hard-link run covers the full size. */
    @Override
    protected int listPageSize() {
        return 400;
    }
}
