package io.walstash.storage.s3;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;

/**
 * Opens {@code s3://bucket/prefix} storages on AWS S3 or an S3-compatible store. Reads
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT,
 * AWS_S3_FORCE_PATH_STYLE and the WALSTASH_S3_* settings (with WAL-G's names as aliases).
 */
public final class S3StorageProvider implements StorageProvider {

    /** Does nothing: ServiceLoader instantiates every provider whenever any storage is opened, and the SDK loads only in {@link #open}. */
    public S3StorageProvider() {
    }

    @Override
    public String scheme() {
        return S3Location.SCHEME;
    }

    /** Checks the URI and settings and builds the client; makes no request. */
    @Override
    public Storage open(URI location, Settings settings) throws IOException {
        S3Location parsed = S3Location.of(location);
        S3Config config = S3Config.from(settings);
        return S3Storage.open(parsed, config, builder -> { });
    }

    @Override
    public String toString() {
        return "S3StorageProvider[" + scheme() + "]";
    }
}
