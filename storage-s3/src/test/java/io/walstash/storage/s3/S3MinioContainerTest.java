package io.walstash.storage.s3;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.net.URI;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The storage contract against a real MinIO, where a Docker engine exists. Without one, JUnit
 * reports the class as skipped ({@code disabledWithoutDocker}); s3proxy's contract test is what
 * runs everywhere.
 */
@Testcontainers(disabledWithoutDocker = true)
class S3MinioContainerTest extends StorageContractTest {
    private static final String USER = "walstash-minio";
    private static final String PASSWORD = "walstash-minio-secret";

    @Container
    static final GenericContainer<?> MINIO = new GenericContainer<>("minio/minio:RELEASE.2024-12-18T13-15-44Z")
            .withCommand("server", "/data")
            .withEnv("MINIO_ROOT_USER", USER)
            .withEnv("MINIO_ROOT_PASSWORD", PASSWORD)
            .withExposedPorts(9000)
            .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000));

    @Override
    protected Storage newStorage() throws Exception {
        Map<String, String> settings = Map.of(
                "AWS_ENDPOINT", "http://" + MINIO.getHost() + ":" + MINIO.getMappedPort(9000),
                "AWS_S3_FORCE_PATH_STYLE", "true",
                "AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", USER,
                "AWS_SECRET_ACCESS_KEY", PASSWORD);
        String bucket = S3ProxyServer.uniqueBucketName("minio");
        S3Storage storage = (S3Storage) new S3StorageProvider().open(URI.create("s3://" + bucket + "/repo"), Settings.of(settings));
        storage.createBucketIfMissing();
        return storage;
    }
}
