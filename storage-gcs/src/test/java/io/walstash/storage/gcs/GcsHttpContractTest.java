package io.walstash.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The storage contract over HTTP against {@link FakeGcsServer}, opened through the provider with
 * {@code WALSTASH_GCS_ENDPOINT}. Chunks of 256 KiB make every object above that size (the 300 KB
 * half-written one, the failing 10 MiB one, the 20 MiB one) a resumable upload.
 */
class GcsHttpContractTest extends StorageContractTest {
    private static final String BUCKET = "contract-bucket";
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static FakeGcsServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = FakeGcsServer.start().createBucket(BUCKET);
        server.setListPageSize(100);
    }

    @AfterAll
    static void stopServer() {
        server.stop();
    }

    @Override
    protected Storage newStorage() throws IOException {
        Settings settings = Settings.of(Map.of(
                GcsDeclarations.ENDPOINT.name(), server.endpoint().toString(),
                GcsDeclarations.CHUNK_SIZE.name(), "256KiB"));
        return new GcsStorageProvider().open(URI.create("gs://" + BUCKET + "/test-" + PREFIXES.incrementAndGet()), settings);
    }

    /** The server pages by 100, so the pagination test needs only 250 objects. */
    @Override
    protected int listPageSize() {
        return 100;
    }

    @Test
    void largeObjectsGoAsResumableUploadsSmallOnesInOneRequest() throws IOException {
        server.clearRequests();
        int unfinished = server.unfinishedUploads(); // other tests leave abandoned sessions, as they should
        storage().createIfAbsent("small", stream("x".repeat(1000)));
        storage().createIfAbsent("large", pattern(600_000, 3));

        assertThat(server.requests()).filteredOn(r -> r.startsWith("POST /upload/"))
                .anySatisfy(r -> assertThat(r).contains("uploadType=multipart").contains("ifGenerationMatch=0"))
                .anySatisfy(r -> assertThat(r).contains("uploadType=resumable").contains("ifGenerationMatch=0"));
        assertThat(server.requests()).filteredOn(r -> r.startsWith("PUT /upload/")).hasSize(3);
        assertThat(server.unfinishedUploads()).isEqualTo(unfinished);
    }
}
