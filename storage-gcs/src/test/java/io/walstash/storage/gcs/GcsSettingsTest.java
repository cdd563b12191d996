package io.walstash.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GcsSettingsTest {

    @Test
    void defaults() {
        GcsSettings settings = GcsSettings.from(Settings.empty());

        assertThat(settings.credentialsFile()).isEmpty();
        assertThat(settings.endpoint()).isEmpty();
        assertThat(settings.project()).isEmpty();
        assertThat(settings.chunkSize()).isEqualTo(8 << 20);
        assertThat(settings.maxRetries()).as("the SDK makes one attempt; the retry layer retries").isZero();
    }

    @Test
    void readsEverySetting() {
        GcsSettings settings = GcsSettings.from(Settings.of(Map.of(
                "GOOGLE_APPLICATION_CREDENTIALS", "/etc/walstash/sa.json",
                "WALSTASH_GCS_ENDPOINT", "http://127.0.0.1:4443/",
                "WALSTASH_GCS_PROJECT", "mine",
                "GOOGLE_CLOUD_PROJECT", "theirs",
                "WALSTASH_GCS_CHUNK_SIZE", "16MiB",
                "WALSTASH_GCS_MAX_RETRIES", "2")));

        assertThat(settings.credentialsFile()).contains(Path.of("/etc/walstash/sa.json"));
        assertThat(settings.endpoint()).contains(URI.create("http://127.0.0.1:4443"));
        assertThat(settings.project()).contains("mine");
        assertThat(settings.chunkSize()).isEqualTo(16 << 20);
        assertThat(settings.maxRetries()).isEqualTo(2);
    }

    @Test
    void emulatorHostAndGoogleCloudProjectAreFallbacks() {
        GcsSettings settings = GcsSettings.from(Settings.of(Map.of(
                "STORAGE_EMULATOR_HOST", "localhost:9023", "GOOGLE_CLOUD_PROJECT", "theirs")));
        assertThat(settings.endpoint()).contains(URI.create("http://localhost:9023"));
        assertThat(settings.project()).contains("theirs");

        GcsSettings both = GcsSettings.from(Settings.of(Map.of(
                "STORAGE_EMULATOR_HOST", "localhost:9023", "WALSTASH_GCS_ENDPOINT", "https://gcs.example.org")));
        assertThat(both.endpoint()).map(URI::toString).isEqualTo(Optional.of("https://gcs.example.org"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            262144   | 262144
            1        | 262144
            300000   | 524288
            256KiB   | 262144
            8M       | 8388608
            8 MiB    | 8388608
            1mb      | 1048576
            256MiB   | 268435456
            """)
    void chunkSizesAreRoundedUpTo256KiB(String value, int bytes) {
        assertThat(GcsSettings.chunkSize(value)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            WALSTASH_GCS_CHUNK_SIZE  | lots      | WALSTASH_GCS_CHUNK_SIZE must be a size such as
            WALSTASH_GCS_CHUNK_SIZE  | 0         | WALSTASH_GCS_CHUNK_SIZE must be a size such as 1073741824, 512MiB or 1GiB, from 1 to 256MiB, not 0
            WALSTASH_GCS_CHUNK_SIZE  | 1GiB      | WALSTASH_GCS_CHUNK_SIZE must be a size such as 1073741824, 512MiB or 1GiB, from 1 to 256MiB, not 1GiB
            WALSTASH_GCS_CHUNK_SIZE  | 257MiB    | WALSTASH_GCS_CHUNK_SIZE must be a size such as 1073741824, 512MiB or 1GiB, from 1 to 256MiB, not 257MiB
            WALSTASH_GCS_MAX_RETRIES | -1        | WALSTASH_GCS_MAX_RETRIES must be a whole number from 0 to 20, not -1
            WALSTASH_GCS_MAX_RETRIES | many      | WALSTASH_GCS_MAX_RETRIES must be a whole number from 0 to 20, not many
            WALSTASH_GCS_ENDPOINT    | ftp://x   | WALSTASH_GCS_ENDPOINT: endpoint 'ftp://x' must be http:// or https://
            WALSTASH_GCS_ENDPOINT    | http://u:p@h:1 | WALSTASH_GCS_ENDPOINT: the endpoint must not carry credentials
            WALSTASH_GCS_ENDPOINT    | http://h/?a=b  | WALSTASH_GCS_ENDPOINT: endpoint 'http://h/?a=b' must not have a query or fragment
            STORAGE_EMULATOR_HOST    | :::       | STORAGE_EMULATOR_HOST: endpoint ':::' has no host
            STORAGE_EMULATOR_HOST    | a b:1     | STORAGE_EMULATOR_HOST: 'a b:1' is not an endpoint URL
            """)
    void badValuesAreNamed(String name, String value, String message) {
        assertThatThrownBy(() -> GcsSettings.from(Settings.of(Map.of(name, value))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }
}
