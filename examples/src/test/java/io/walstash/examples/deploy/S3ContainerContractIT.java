package io.walstash.examples.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import io.walstash.core.storage.Storages;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The storage contract, through walstash's S3 adapter, against an S3 service in a container: the
 * s3proxy image the deployment tests build locally (no registry can be reached here, so MinIO's
 * image cannot be pulled; this replaces the MinIO Testcontainers test, which could never run). It
 * adds over storage-s3's in-JVM s3proxy tests what a real deployment has: another process in
 * another network namespace, reached through a published port, its store on the container's disk.
 */
class S3ContainerContractIT extends StorageContractTest {
    private static final String IDENTITY = "walstash-contract";
    private static final String CREDENTIAL = "contract-" + UUID.randomUUID();
    private static final String CONTAINER = "walstash-s3-contract-" + ProcessHandle.current().pid();
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    private static String endpoint;

    @BeforeAll
    static void startS3Service() throws Exception {
        DeployImages.build();
        // the secret reaches docker through its environment (-e NAME without a value), never argv
        DeployImages.docker(Duration.ofMinutes(2), Map.of("S3PROXY_IDENTITY", IDENTITY, "S3PROXY_CREDENTIAL", CREDENTIAL),
                "run", "-d", "--name", CONTAINER, "-e", "S3PROXY_IDENTITY", "-e", "S3PROXY_CREDENTIAL",
                "-p", "127.0.0.1::9000", DeployImages.S3PROXY).ok();
        String published = DeployImages.docker(Duration.ofMinutes(1), Map.of(), "port", CONTAINER, "9000/tcp").ok().trimmed();
        endpoint = "http://127.0.0.1:" + published.lines().findFirst().orElseThrow().replaceAll(".*:", "");
        // s3proxy's JVM takes a few seconds to listen: poll, bounded, until a bucket can be made
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                openBucket("probe");
                return;
            } catch (IOException e) {
                last = e;
                Thread.sleep(500); // a polling interval; the bucket's creation decides
            }
        }
        throw new AssertionError("the s3proxy container did not answer at " + endpoint + " within 2 minutes:\n"
                + DeployImages.docker(Duration.ofMinutes(1), Map.of(), "logs", CONTAINER).output(), last);
    }

    @AfterAll
    static void stopS3Service() throws Exception {
        DeployImages.docker(Duration.ofMinutes(2), Map.of(), "rm", "-f", "-v", CONTAINER);
    }

    private static Storage openBucket(String stem) throws IOException {
        Settings settings = Settings.of(Map.of(
                "AWS_ENDPOINT", endpoint,
                "AWS_S3_FORCE_PATH_STYLE", "true",
                "AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", IDENTITY,
                "AWS_SECRET_ACCESS_KEY", CREDENTIAL));
        String bucket = (stem + "-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet());
        Storage storage = Storages.provider("s3").open(URI.create("s3://" + bucket + "/repo"), settings);
        assertThat(storage).isInstanceOf(CreatesBucket.class);
        ((CreatesBucket) storage).createBucketIfMissing();
        return storage;
    }

    /**
     * The image's s3proxy stores objects as files (jclouds filesystem-nio2), a quirk that fits no
     * capability flag: an object under an existing object's name ("p/q/r" below "p/q") is refused
     * (HTTP 500) and the existing object stays; the reverse order (an object named like an existing
     * prefix) is accepted by that store in a way not characterised here. Real S3 semantics are the
     * in-JVM s3proxy contract tests' (storage-s3).
     */
    @Override
    @org.junit.jupiter.api.Test
    public void keyThatIsAlsoAPrefix() throws IOException {
        assertThat(storage().createIfAbsent("p/q", stream("object p/q"))).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> storage().createIfAbsent("p/q/r", stream("object p/q/r")))
                .isInstanceOf(IOException.class).hasMessageContaining("p/q/r");
        assertThat(readString("p/q")).isEqualTo("object p/q");
    }

    @Override
    protected Storage newStorage() throws Exception {
        return openBucket("contract");
    }
}
