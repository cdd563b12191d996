package io.walstash.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.StorageProvider;
import io.walstash.core.storage.Storages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FileStorageProviderTest {
    @TempDir
    Path tempDir;

    @Test
    void foundThroughServiceLoader() {
        assertThat(Storages.provider("file")).isInstanceOf(FileStorageProvider.class)
                .extracting(StorageProvider::scheme).isEqualTo("file");
        assertThat(Storages.provider("FILE")).isInstanceOf(FileStorageProvider.class);
    }

    @Test
    void unknownSchemeNamesItAndTheKnownOnes() {
        assertThatThrownBy(() -> Storages.provider("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope")
                .hasMessageContaining("file");
    }

    @Test
    void opensAPlainPathThroughStorages() throws IOException {
        Path root = tempDir.resolve("from/plain/path");
        try (Storage storage = Storages.open(StorageLocation.parse(root.toString()), Settings.empty())) {
            // under the one retry layer that Storages.open puts over every adapter (and its storage layers)
            assertThat(storage).isInstanceOf(RetryingStorage.class);
            assertThat(io.walstash.core.crypto.EncryptedStorage.beneath(storage)).isInstanceOf(FileStorage.class);
            assertThat(storage.createIfAbsent("k", new ByteArrayInputStream(new byte[] {1, 2, 3}))).isTrue();
        }
        assertThat(root.resolve("k")).hasBinaryContent(new byte[] {1, 2, 3});
    }

    @Test
    void firstCreateMakesTheRootAndOpenReportsItAsLocation() throws IOException {
        Path root = tempDir.resolve("a/b/repo");
        Storage storage = new FileStorageProvider().open(root.toUri(), Settings.empty());

        assertThat(tempDir.resolve("a")).as("opening alone leaves nothing behind").doesNotExist();
        assertThat(storage.list("")).isEmpty();
        assertThat(storage.stat("k")).isEmpty();
        assertThat(storage.createIfAbsent("k", new ByteArrayInputStream(new byte[] {7}))).isTrue();
        assertThat(root.resolve("k")).hasBinaryContent(new byte[] {7});
        assertThat(storage.location()).isEqualTo(root.toUri()).hasScheme("file");
        assertThat(storage.location().toString()).startsWith("file:///").endsWith("/repo/");
        assertThat(storage).hasToString("FileStorage[" + root + "]");
    }

    @Test
    void acceptsLocalhost() throws IOException {
        Path root = Files.createDirectories(tempDir.resolve("repo"));
        URI uri = URI.create("file://localhost" + root.toUri().getRawPath());

        Storage storage = new FileStorageProvider().open(uri, Settings.empty());

        assertThat(storage.location()).isEqualTo(root.toUri());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            file://host/x              | names host 'host'
            file://localhost:8080/x    | names host 'localhost:8080'
            file:relative              | relative or missing path
            file:relative/deeper       | relative or missing path
            file:///x?y=1              | must not have a query or fragment
            file:///x#frag             | must not have a query or fragment
            file:///                   | points at the filesystem root
            file:/..                   | points at the filesystem root
            s3://b                     | needs a 'file' URI
            S3://bucket/prefix         | got scheme 'S3'
            """)
    void rejectsBadUris(String uri, String why) {
        assertThatThrownBy(() -> new FileStorageProvider().open(URI.create(uri), Settings.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + uri + "'")
                .hasMessageContaining(why)
                .hasMessageNotContaining("\n");
    }

    @Test
    void rootThatIsAFileFailsNamingThePath() throws IOException {
        Path file = Files.writeString(tempDir.resolve("plain-file"), "x");

        assertThatThrownBy(() -> new FileStorageProvider().open(file.toUri(), Settings.empty()))
                .isInstanceOf(IOException.class)
                .hasMessage("file storage path " + file + " exists and is not a directory");
    }

    @Test
    void rootThatCannotBeCreatedFailsTheFirstCreateNamingThePath() throws IOException {
        Path file = Files.writeString(tempDir.resolve("plain-file"), "x");
        Path root = file.resolve("repo");
        Storage storage = new FileStorageProvider().open(root.toUri(), Settings.empty());

        assertThatThrownBy(() -> storage.createIfAbsent("k", new ByteArrayInputStream(new byte[] {7})))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("cannot create file storage directory " + root + ": ")
                .hasMessageContaining(file.toString())
                .hasMessageNotContaining("\n");
    }

    @Test
    void constructorDoesNothing() {
        // ServiceLoader instantiates every provider on each lookup; this one must stay free.
        assertThat(new FileStorageProvider()).hasToString("FileStorageProvider[file]");
    }
}
