package io.walstash.storage.gcs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.Settings;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.StorageProvider;
import io.walstash.core.storage.Storages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcsStorageProviderTest {
    @TempDir
    Path tempDir;

    private FakeGcsServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = FakeGcsServer.start().createBucket("bucket");
    }

    @AfterEach
    void stopServer() {
        server.stop();
    }

    @Test
    void foundThroughServiceLoader() {
        assertThat(Storages.provider("gs")).isInstanceOf(GcsStorageProvider.class)
                .extracting(StorageProvider::scheme).isEqualTo("gs");
        assertThat(Storages.provider("GS")).isInstanceOf(GcsStorageProvider.class);
    }

    @Test
    void constructorDoesNothing() {
        // ServiceLoader instantiates every provider on each lookup; this one must stay free.
        assertThat(new GcsStorageProvider()).hasToString("GcsStorageProvider[gs]");
    }

    @Test
    void opensThroughStoragesAtACustomEndpoint() throws IOException {
        Settings settings = Settings.of(Map.of(GcsDeclarations.ENDPOINT.name(), server.endpoint().toString()));
        try (Storage storage = Storages.open(StorageLocation.parse("gs://bucket/repo"), settings)) {
            // under the one retry layer that Storages.open puts over every adapter
            assertThat(storage).isInstanceOf(RetryingStorage.class);
            assertThat(io.walstash.core.crypto.EncryptedStorage.beneath(storage)).isInstanceOf(GcsStorage.class);
            assertThat(storage).hasToString("GcsStorage[gs://bucket/repo/]");
            assertThat(storage.location()).hasToString("gs://bucket/repo/");
            assertThat(storage.createIfAbsent("k", bytes("v"))).isTrue();
        }
        assertThat(server.object("bucket", "repo/k")).get().isEqualTo("v".getBytes(UTF_8));
        assertThat(server.authorizations()).as("no credentials against an emulator").isEmpty();
    }

    @Test
    void walgGsPrefixAndEmulatorHostWork() throws IOException {
        Configuration configuration = Configuration.load(Map.of(), Map.of(
                "WALG_GS_PREFIX", "gs://bucket/walg",
                "STORAGE_EMULATOR_HOST", "127.0.0.1:" + server.endpoint().getPort()));
        try (Storage storage = Storages.open(StorageLocation.configured(configuration), configuration.settings())) {
            assertThat(storage.createIfAbsent("k", bytes("v"))).isTrue();
        }
        assertThat(server.objectNames("bucket")).containsExactly("walg/k");
    }

    @Test
    void openingSendsNoRequest() throws IOException {
        Settings settings = Settings.of(Map.of(GcsDeclarations.ENDPOINT.name(), server.endpoint().toString()));
        new GcsStorageProvider().open(URI.create("gs://no-such-bucket/x"), settings).close();
        assertThat(server.requests()).isEmpty();
    }

    @Test
    void serviceAccountKeyFileIsUsedAndNamesTheProject() throws Exception {
        Path key = serviceAccountKey("sa-project", server.endpoint() + "/token");
        Settings settings = Settings.of(Map.of(
                GcsDeclarations.CREDENTIALS.name(), key.toString(),
                GcsDeclarations.ENDPOINT.name(), server.endpoint().toString()));
        try (Storage storage = new GcsStorageProvider().open(URI.create("gs://made-by-sa/repo"), settings)) {
            assertThat(((GcsStorage) storage).createBucketIfMissing()).isTrue();
            assertThat(storage.createIfAbsent("k", bytes("v"))).isTrue();
        }
        assertThat(server.requests()).contains("POST /storage/v1/b?project=sa-project&projection=full");
        assertThat(server.authorizations()).isNotEmpty().allSatisfy(a -> assertThat(a).startsWith("Bearer "));
    }

    @Test
    void aRefusedServiceAccountKeyIsAccessDenied() throws Exception {
        Path key = serviceAccountKey("sa-project", server.endpoint() + "/token");
        server.refuseTokens();
        Settings settings = Settings.of(Map.of(
                GcsDeclarations.CREDENTIALS.name(), key.toString(),
                GcsDeclarations.ENDPOINT.name(), server.endpoint().toString(),
                GcsDeclarations.MAX_RETRIES.name(), "0"));
        try (Storage storage = new GcsStorageProvider().open(URI.create("gs://bucket/repo"), settings)) {
            assertThatThrownBy(() -> storage.stat("k"))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.ACCESS_DENIED))
                    .hasMessage("access denied: gs://bucket/repo/ (stat 'k'): the credentials were rejected when getting a token");
        }
    }

    @Test
    void missingCredentialsFileIsNamed() {
        Path missing = tempDir.resolve("nope.json");
        assertThatThrownBy(() -> new GcsStorageProvider().open(URI.create("gs://bucket/x"),
                Settings.of(Map.of(GcsDeclarations.CREDENTIALS.name(), missing.toString()))))
                .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_CREDENTIALS))
                .hasMessage("no credentials: GOOGLE_APPLICATION_CREDENTIALS names " + missing + ", which does not exist");
    }

    @Test
    void malformedCredentialsFileIsNamedWithoutItsContent() throws IOException {
        Path bad = Files.writeString(tempDir.resolve("bad.json"),
                "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nSECRET-MATERIAL\\n\"}");
        assertThatThrownBy(() -> new GcsStorageProvider().open(URI.create("gs://bucket/x"),
                Settings.of(Map.of(GcsDeclarations.CREDENTIALS.name(), bad.toString()))))
                .isInstanceOfSatisfying(StorageFailure.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NO_CREDENTIALS);
                    assertThat(e.getCause()).isNull();
                })
                .hasMessage("no credentials: GOOGLE_APPLICATION_CREDENTIALS names " + bad
                        + ", which is not a Google credentials JSON file (such as a service-account key)");
    }

    @Test
    void withoutAnyCredentialsOpeningFailsWithNoCredentials() {
        assumeTrue(System.getenv("GOOGLE_APPLICATION_CREDENTIALS") == null, "GOOGLE_APPLICATION_CREDENTIALS is set");
        assumeTrue(!Files.exists(Path.of(System.getProperty("user.home"), ".config/gcloud/application_default_credentials.json")),
                "gcloud application-default credentials exist");
        assumeTrue("true".equals(System.getenv("NO_GCE_CHECK")), "the metadata-server probe is not switched off");

        assertThatThrownBy(() -> new GcsStorageProvider().open(URI.create("gs://bucket/x"), Settings.empty()))
                .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_CREDENTIALS))
                .hasMessageStartingWith("no credentials: no Google credentials for gs://bucket/x/: set GOOGLE_APPLICATION_CREDENTIALS")
                .hasMessageNotContaining("\n");
    }

    @Test
    void badUrisAndSettingsAreRefusedBeforeAnythingElse() {
        assertThatThrownBy(() -> new GcsStorageProvider().open(URI.create("s3://bucket/x"), Settings.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a 'gs' URI");
        assertThatThrownBy(() -> new GcsStorageProvider().open(URI.create("gs://bucket/x"),
                Settings.of(Map.of(GcsDeclarations.CHUNK_SIZE.name(), "huge"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("WALSTASH_GCS_CHUNK_SIZE");
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(UTF_8));
    }

    /** A service-account key file with a fresh RSA key, getting its tokens from {@code tokenUri}. */
    private Path serviceAccountKey(String project, String tokenUri) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(UTF_8)).encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Map<String, String> json = new LinkedHashMap<>();
        json.put("type", "service_account");
        json.put("project_id", project);
        json.put("private_key_id", "0123456789abcdef");
        json.put("private_key", pem);
        json.put("client_email", "walstash@" + project + ".iam.gserviceaccount.com");
        json.put("client_id", "123456789");
        json.put("token_uri", tokenUri);
        return Files.writeString(tempDir.resolve("sa.json"), new ObjectMapper().writeValueAsString(json));
    }
}
