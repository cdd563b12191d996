package io.walstash.storage.s3;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.net.URI;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The storage contract for {@code s3://}, against s3proxy: a fresh bucket per test, under a key prefix. */
class S3StorageContractTest extends StorageContractTest {
    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    @Override
    protected Storage newStorage() throws Exception {
        String bucket = S3.newBucket();
        return new S3StorageProvider().open(URI.create("s3://" + bucket + "/repo/wal-archive"), Settings.of(S3.settings()));
    }

    /** A quirk of s3proxy's filesystem store, see {@link S3ProxyQuirks#keyThatIsAlsoAPrefix}; AWS S3 allows both keys. */
    @Override
    @org.junit.jupiter.api.Test
    public void keyThatIsAlsoAPrefix() throws java.io.IOException {
        S3ProxyQuirks.keyThatIsAlsoAPrefix(storage());
    }
}
