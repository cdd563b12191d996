package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.StorageProvider;
import io.walstash.core.storage.Storages;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3StorageProviderTest {

    @Test
    void foundThroughServiceLoader() {
        assertThat(Storages.provider("s3")).isInstanceOf(S3StorageProvider.class)
                .extracting(StorageProvider::scheme).isEqualTo("s3");
        assertThat(Storages.provider("S3")).isInstanceOf(S3StorageProvider.class);
    }

    @Test
    void constructorDoesNothing() {
        // ServiceLoader instantiates every provider on each lookup; this one must not load the SDK.
        assertThat(new S3StorageProvider()).hasToString("S3StorageProvider[s3]");
    }

    @Test
    void openMakesNoRequest() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Settings settings = Settings.of(Map.of("AWS_ENDPOINT", "http://127.0.0.1:" + closedPort,
                "AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s3cr3t-value"));
        try (Storage storage = Storages.open(StorageLocation.parse("s3://bucket/some/prefix"), settings)) {
            // under the one retry layer that Storages.open puts over every adapter, bucket creation still offered
            assertThat(storage).isInstanceOf(CreatesBucket.class).isInstanceOf(RetryingStorage.class);
            assertThat(io.walstash.core.crypto.EncryptedStorage.beneath(storage)).isInstanceOf(S3Storage.class);
            assertThat(storage.location()).isEqualTo(URI.create("s3://bucket/some/prefix/"));
            assertThat(storage.toString()).isEqualTo("S3Storage[s3://bucket/some/prefix/ at http://127.0.0.1:" + closedPort + "]")
                    .doesNotContain("s3cr3t-value");
        }
    }

    @Test
    void badUriFailsBeforeAnySettingIsRead() {
        Settings exploding = name -> {
            throw new AssertionError("read " + name);
        };
        assertThatThrownBy(() -> new S3StorageProvider().open(URI.create("file:///x"), exploding))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs an 's3' URI");
    }

    @Test
    void badSettingFailsNamingIt() {
        assertThatThrownBy(() -> new S3StorageProvider().open(URI.create("s3://bucket/x"),
                Settings.of(Map.of("WALSTASH_S3_PART_SIZE", "1MiB"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("WALSTASH_S3_PART_SIZE must be").hasMessageEndingWith(", not 1MiB");
    }

    @Test
    void caFileThatIsNotThereFailsOnOpenNamingSettingAndPath() {
        assertThatThrownBy(() -> new S3StorageProvider().open(URI.create("s3://bucket/x"),
                Settings.of(Map.of("AWS_ENDPOINT", "https://127.0.0.1:1", "WALSTASH_S3_CA_FILE", "/nonexistent/ca.pem"))))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("WALSTASH_S3_CA_FILE /nonexistent/ca.pem cannot be read");
    }
}
