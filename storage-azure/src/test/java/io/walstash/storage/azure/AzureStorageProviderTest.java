package io.walstash.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Finding the provider, parsing locations and settings; no server needed. */
class AzureStorageProviderTest {
    private static final String KEY = AzuriteServer.ACCOUNT_KEY;

    @Test
    void foundThroughServiceLoader() {
        assertThat(Storages.provider("azure")).isInstanceOf(AzureStorageProvider.class)
                .extracting(StorageProvider::scheme).isEqualTo("azure");
        assertThat(Storages.provider("AZURE")).isInstanceOf(AzureStorageProvider.class);
        assertThatThrownBy(() -> Storages.provider("az")).hasMessageContaining("'az'").hasMessageContaining("azure");
    }

    @Test
    void constructorDoesNothing() {
        assertThat(new AzureStorageProvider()).hasToString("AzureStorageProvider[azure]");
    }

    @Test
    void walgPrefixOpensThroughConfiguration() throws IOException {
        Configuration configuration = Configuration.of(Map.of(
                "WALG_AZ_PREFIX", "azure://walg-container/some/folder",
                "AZURE_STORAGE_ACCOUNT", "myaccount",
                "AZURE_STORAGE_ACCESS_KEY", KEY));

        // Opening makes no request, so no server is needed to see what was opened.
        try (Storage storage = Storages.open(StorageLocation.configured(configuration), configuration.settings())) {
            // under the one retry layer that Storages.open puts over every adapter
            assertThat(storage).isInstanceOf(RetryingStorage.class);
            assertThat(io.walstash.core.crypto.EncryptedStorage.beneath(storage)).isInstanceOf(AzureStorage.class);
            assertThat(storage).hasToString("AzureStorage[azure://walg-container/some/folder/ at https://myaccount.blob.core.windows.net]");
            assertThat(storage.location()).isEqualTo(URI.create("azure://walg-container/some/folder/"));
        }
    }

    // ---- locations ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            azure://abc                         | abc          | ''
            azure://abc/                        | abc          | ''
            azure://my-container/pg/main        | my-container | pg/main/
            azure://my-container/pg/main/       | my-container | pg/main/
            azure://c0ntainer-1//walg           | c0ntainer-1  | walg/
            AZURE://abc/x                       | abc          | x/
            azure://a-b-c/with%20space/x        | a-b-c        | with space/x/
            """)
    void parsesLocations(String uri, String container, String prefix) {
        AzureLocation location = AzureLocation.of(URI.create(uri));
        assertThat(location.container()).isEqualTo(container);
        assertThat(location.prefix()).isEqualTo(prefix);
        assertThat(location.blobName("wal/1")).isEqualTo(prefix + "wal/1");
        assertThat(AzureLocation.of(location.uri())).isEqualTo(location);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            s3://bucket/prefix                  | needs an 'azure' URI
            file:///x                           | got scheme 'file'
            azure:opaque                        | must look like azure://container/prefix
            azure:///just/path                  | names no container
            azure://ab/x                        | container name 'ab' is invalid
            azure://Upper/x                     | container name 'Upper' is invalid
            azure://double--hyphen/x            | is invalid
            azure://-leading/x                  | is invalid
            azure://trailing-/x                 | is invalid
            azure://under_score/x               | is invalid
            azure://container:10000/x           | has a port
            azure://container/x?sas=1           | must not have a query or fragment
            azure://container/x#f               | must not have a query or fragment
            azure://container/a/../b            | empty, '.' or '..' segment
            azure://container/a//b              | empty, '.' or '..' segment
            """)
    void rejectsBadLocations(String uri, String why) {
        assertThatThrownBy(() -> new AzureStorageProvider().open(URI.create(uri), Settings.of(Map.of(
                AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why)
                .hasMessageNotContaining("\n");
    }

    @Test
    void containerNamesUpTo63Characters() {
        assertThat(AzureLocation.of(URI.create("azure://" + "a".repeat(63))).container()).hasSize(63);
        assertThatThrownBy(() -> AzureLocation.of(URI.create("azure://" + "a".repeat(64)))).hasMessageContaining("is invalid");
    }

    @Test
    void credentialsInTheUriAreRefused() {
        assertThatThrownBy(() -> AzureLocation.of(URI.create("azure://user:secret@container/x")))
                .hasMessage("Azure storage URI must not carry credentials; pass them through the environment");
    }

    // ---- settings ----

    @Test
    void credentialsAreChosenInWalgOrder() throws StorageFailure {
        String sas = "sv=2024-08-04&sr=c&sp=rl&sig=c2lnbmF0dXJl";
        assertThat(settings(Map.of(AzureDeclarations.CONNECTION_STRING.name(), "AccountName=a;AccountKey=" + KEY,
                AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY)).auth())
                .isEqualTo(AzureSettings.Auth.CONNECTION_STRING);
        assertThat(settings(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY, AzureDeclarations.SAS_TOKEN.name(), sas)).auth())
                .isEqualTo(AzureSettings.Auth.SHARED_KEY);
        assertThat(settings(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", "AZURE_STORAGE_KEY", KEY)).auth())
                .isEqualTo(AzureSettings.Auth.SHARED_KEY);
        AzureSettings withSas = settings(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.SAS_TOKEN.name(), "?" + sas));
        assertThat(withSas.auth()).isEqualTo(AzureSettings.Auth.SAS_TOKEN);
        assertThat(withSas.secret()).as("the leading '?' is dropped").isEqualTo(sas);
        AzureSettings onlyAccount = settings(Map.of(AzureDeclarations.ACCOUNT.name(), "acct"));
        assertThat(onlyAccount.auth()).isEqualTo(AzureSettings.Auth.DEFAULT_CREDENTIAL);
        assertThat(onlyAccount.endpoint()).contains("https://acct.blob.core.windows.net");
    }

    @Test
    void endpointComesFromTheOverrideOrTheCloud() throws StorageFailure {
        Map<String, String> base = Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY);
        assertThat(settings(base).endpoint()).contains("https://acct.blob.core.windows.net");
        assertThat(settings(with(base, AzureDeclarations.ENDPOINT.name(), "http://127.0.0.1:10000/devstoreaccount1/")).endpoint())
                .contains("http://127.0.0.1:10000/devstoreaccount1");
        assertThat(settings(with(base, AzureDeclarations.ENDPOINT_SUFFIX.name(), "core.chinacloudapi.cn")).endpoint())
                .contains("https://acct.blob.core.chinacloudapi.cn");
        assertThat(settings(with(base, AzureDeclarations.ENVIRONMENT_NAME.name(), "AzureUSGovernmentCloud")).endpoint())
                .contains("https://acct.blob.core.usgovcloudapi.net");
        assertThat(settings(with(base, AzureDeclarations.ENVIRONMENT_NAME.name(), "SomethingElse")).endpoint())
                .contains("https://acct.blob.core.windows.net");
        assertThat(settings(Map.of(AzureDeclarations.CONNECTION_STRING.name(), "AccountName=a;AccountKey=" + KEY)).endpoint())
                .as("the connection string names it").isEmpty();
    }

    @Test
    void tuningSettingsAndTheirWalgNames() throws StorageFailure {
        Map<String, String> base = Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY);
        AzureSettings defaults = settings(base);
        assertThat(defaults.blockSize()).isEqualTo(8 << 20);
        assertThat(defaults.maxBuffers()).isEqualTo(4);
        assertThat(defaults.maxRetries()).as("the SDK makes one try; the retry layer retries").isZero();
        assertThat(defaults.tryTimeout()).isEqualTo(Duration.ofMinutes(5));

        assertThat(settings(with(base, AzureDeclarations.BLOCK_SIZE.name(), "4MiB")).blockSize()).isEqualTo(4 << 20);
        assertThat(settings(with(base, AzureDeclarations.BLOCK_SIZE.name(), "512k")).blockSize()).isEqualTo(512 << 10);
        assertThat(settings(with(base, "WALG_AZURE_BUFFER_SIZE", "33554432")).blockSize()).isEqualTo(32 << 20);
        assertThat(settings(with(base, "WALG_AZURE_MAX_BUFFERS", "5")).maxBuffers()).isEqualTo(5);
        assertThat(settings(with(base, AzureDeclarations.MAX_RETRIES.name(), "0")).maxRetries()).isZero();
        assertThat(settings(with(base, AzureDeclarations.TRY_TIMEOUT.name(), "90s")).tryTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(settings(with(base, AzureDeclarations.TRY_TIMEOUT.name(), "120")).tryTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings(with(base, AzureDeclarations.WALG_TRY_TIMEOUT.name(), "2")).tryTimeout()).as("WAL-G's is in minutes")
                .isEqualTo(Duration.ofMinutes(2));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            WALSTASH_AZURE_BLOCK_SIZE   | lots  | WALSTASH_AZURE_BLOCK_SIZE must be a size such as
            WALSTASH_AZURE_BLOCK_SIZE   | 100   | from 1KiB to 256MiB, not 100
            WALG_AZURE_BUFFER_SIZE      | 1G    | WALG_AZURE_BUFFER_SIZE must be a size
            WALSTASH_AZURE_MAX_BUFFERS  | 0     | WALSTASH_AZURE_MAX_BUFFERS must be a whole number from 1 to 64
            WALSTASH_AZURE_MAX_RETRIES  | -1    | WALSTASH_AZURE_MAX_RETRIES must be a whole number from 0 to 100
            WALSTASH_AZURE_TRY_TIMEOUT  | 0     | WALSTASH_AZURE_TRY_TIMEOUT must be a positive duration
            WALSTASH_AZURE_ENDPOINT     | ftp://x | WALSTASH_AZURE_ENDPOINT must be an http:// or https:// URL
            AZURE_ENDPOINT_SUFFIX       | a/b   | is not a DNS suffix
            """)
    void malformedSettingsNameThemselves(String name, String value, String message) {
        assertThatThrownBy(() -> settings(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY, name, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void missingOrMalformedCredentialsSayWhatToSetWithoutSecrets() {
        String sasWithoutSig = "sv=2024-08-04&sp=rl&secretish=abcdef123";
        assertNoCredentials(Map.of(), "no Azure storage account configured: set AZURE_STORAGE_ACCOUNT");
        assertNoCredentials(Map.of(AzureDeclarations.ACCESS_KEY.name(), KEY), "AZURE_STORAGE_ACCESS_KEY is set but AZURE_STORAGE_ACCOUNT is not");
        assertNoCredentials(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), "not base64!secret"),
                "AZURE_STORAGE_ACCESS_KEY for account 'acct' is not a base64 account key", "not base64!secret");
        assertNoCredentials(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.SAS_TOKEN.name(), sasWithoutSig),
                "AZURE_STORAGE_SAS_TOKEN for account 'acct' is not a SAS token", sasWithoutSig);
        assertNoCredentials(Map.of(AzureDeclarations.ACCOUNT.name(), "Bad_Name", AzureDeclarations.ACCESS_KEY.name(), KEY),
                "is not an Azure storage account name", KEY);
        assertNoCredentials(Map.of(AzureDeclarations.ACCOUNT.name(), "devstoreaccount1", AzureDeclarations.ENDPOINT.name(), "http://127.0.0.1:1/devstoreaccount1"),
                "Azure AD credentials need an https endpoint");
        assertThatThrownBy(() -> settings(Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ENDPOINT.name(),
                "https://acct.blob.core.windows.net/?sv=1&sig=topsecret")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("topsecret");
    }

    @Test
    void settingsNeverShowTheirSecrets() throws StorageFailure {
        String sas = "sv=2024-08-04&sr=c&sp=rl&sig=c2lnbmF0dXJlLXNlY3JldA";
        String connectionString = "AccountName=acct;AccountKey=" + KEY;
        for (Map<String, String> values : java.util.List.of(
                Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.ACCESS_KEY.name(), KEY),
                Map.of(AzureDeclarations.ACCOUNT.name(), "acct", AzureDeclarations.SAS_TOKEN.name(), sas),
                Map.of(AzureDeclarations.CONNECTION_STRING.name(), connectionString))) {
            AzureSettings settings = settings(values);
            assertThat(settings.toString()).doesNotContain(KEY).doesNotContain("c2lnbmF0dXJlLXNlY3JldA")
                    .doesNotContain(connectionString).contains(settings.auth().name());
        }
    }

    @Test
    void defaultCredentialIsBuiltWithoutARequest() throws IOException {
        // Only the account: azure-identity's chain, asked for a token on the first request, not on open.
        try (Storage storage = new AzureStorageProvider().open(URI.create("azure://container/x"),
                Settings.of(Map.of(AzureDeclarations.ACCOUNT.name(), "acct")))) {
            assertThat(storage).hasToString("AzureStorage[azure://container/x/ at https://acct.blob.core.windows.net]");
        }
    }

    @Test
    void openingMakesNoRequest() throws IOException {
        // Port 1 on loopback answers nothing: opening must not try.
        try (Storage storage = new AzureStorageProvider().open(URI.create("azure://container/x"), Settings.of(Map.of(
                AzureDeclarations.ENDPOINT.name(), "http://127.0.0.1:1/devstoreaccount1",
                AzureDeclarations.ACCOUNT.name(), AzuriteServer.ACCOUNT, AzureDeclarations.ACCESS_KEY.name(), KEY,
                AzureDeclarations.MAX_RETRIES.name(), "0")))) {
            assertThat(storage.location()).isEqualTo(URI.create("azure://container/x/"));
            assertThatThrownBy(() -> storage.createIfAbsent("k", new ByteArrayInputStream(new byte[] {1})))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE));
        }
    }

    private static void assertNoCredentials(Map<String, String> values, String message, String... secrets) {
        assertThatThrownBy(() -> settings(values))
                .isInstanceOfSatisfying(StorageFailure.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NO_CREDENTIALS);
                    assertThat(e.getMessage()).startsWith("no credentials: ").contains(message).doesNotContain("\n");
                    for (String secret : secrets) {
                        assertThat(e.getMessage()).doesNotContain(secret);
                    }
                });
    }

    private static AzureSettings settings(Map<String, String> values) throws StorageFailure {
        return AzureSettings.from(Settings.of(values));
    }

    private static Map<String, String> with(Map<String, String> base, String name, String value) {
        Map<String, String> copy = new HashMap<>(base);
        copy.put(name, value);
        return copy;
    }
}
