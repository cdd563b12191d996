package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class S3ConfigTest {
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN";

    @Test
    void defaults() {
        S3Config config = S3Config.from(Settings.empty());

        assertThat(config.accessKeyId()).isEmpty();
        assertThat(config.secretAccessKey()).isEmpty();
        assertThat(config.region()).isEmpty();
        assertThat(config.effectiveRegion()).as("left to the SDK's region chain").isEmpty();
        assertThat(config.endpoint()).isEmpty();
        assertThat(config.forcePathStyle()).isFalse();
        assertThat(config.partSize()).isEqualTo(16 << 20);
        assertThat(config.sse()).isEmpty();
        assertThat(config.kmsKeyId()).isEmpty();
        assertThat(config.storageClass()).isEmpty();
        assertThat(config.caFile()).isEmpty();
        assertThat(config.maxRetries()).as("the SDK makes one attempt; the retry layer retries").isZero();
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.conditionalCreate()).isEqualTo(S3Config.ConditionalCreate.AUTO);
        assertThat(config.describeEndpoint()).isEqualTo("AWS S3");
    }

    @Test
    void minioStyleSettings() {
        S3Config config = S3Config.from(Settings.of(Map.of(
                "AWS_ENDPOINT", "http://minio:9000",
                "AWS_S3_FORCE_PATH_STYLE", "TRUE",
                "AWS_ACCESS_KEY_ID", "minio-key",
                "AWS_SECRET_ACCESS_KEY", SECRET)));

        assertThat(config.endpoint()).contains(URI.create("http://minio:9000"));
        assertThat(config.forcePathStyle()).isTrue();
        assertThat(config.region()).isEmpty();
        assertThat(config.effectiveRegion()).as("us-east-1 when an endpoint is set").contains("us-east-1");
        assertThat(config.accessKeyId()).contains("minio-key");
        assertThat(config.secretAccessKey()).contains(SECRET);
        assertThat(config.describeEndpoint()).isEqualTo("http://minio:9000");
    }

    @Test
    void regionSetWins() {
        S3Config config = S3Config.from(Settings.of(Map.of("AWS_ENDPOINT", "https://s3.example", "AWS_REGION", "eu-west-3")));
        assertThat(config.effectiveRegion()).contains("eu-west-3");
        assertThat(S3Config.from(Settings.of(Map.of("AWS_DEFAULT_REGION", "ap-south-1"))).region()).contains("ap-south-1");
    }

    @Test
    void walstashNamesAndWalGNamesForTheSameThing() {
        Map<String, String> walg = Map.of(
                "WALG_S3_SSE", "aws:kms",
                "WALG_S3_SSE_KMS_ID", "arn:aws:kms:us-east-1:111122223333:key/abcd",
                "WALG_S3_STORAGE_CLASS", "standard_ia",
                "WALG_S3_CA_CERT_FILE", "/etc/ssl/minio-ca.pem",
                "WALG_S3_MAX_RETRIES", "7",
                "WALG_S3_MAX_PART_SIZE", "8388608");
        Map<String, String> bare = Map.of(
                "S3_SSE", "aws:kms",
                "S3_SSE_KMS_ID", "arn:aws:kms:us-east-1:111122223333:key/abcd",
                "S3_STORAGE_CLASS", "STANDARD_IA",
                "S3_CA_CERT_FILE", "/etc/ssl/minio-ca.pem",
                "S3_MAX_RETRIES", "7",
                "S3_MAX_PART_SIZE", "8MiB");
        Map<String, String> own = Map.of(
                "WALSTASH_S3_SSE", "AWS:KMS",
                "WALSTASH_S3_SSE_KMS_KEY_ID", "arn:aws:kms:us-east-1:111122223333:key/abcd",
                "WALSTASH_S3_STORAGE_CLASS", "STANDARD_IA",
                "WALSTASH_S3_CA_FILE", "/etc/ssl/minio-ca.pem",
                "WALSTASH_S3_MAX_RETRIES", "7",
                "WALSTASH_S3_PART_SIZE", "8M");
        for (Map<String, String> values : java.util.List.of(walg, bare, own)) {
            S3Config config = S3Config.from(Settings.of(values));
            assertThat(config.sse()).as("%s", values.keySet()).contains("aws:kms");
            assertThat(config.kmsKeyId()).contains("arn:aws:kms:us-east-1:111122223333:key/abcd");
            assertThat(config.storageClass()).contains("STANDARD_IA");
            assertThat(config.caFile()).contains(Path.of("/etc/ssl/minio-ca.pem"));
            assertThat(config.maxRetries()).isEqualTo(7);
            assertThat(config.partSize()).isEqualTo(8 << 20);
        }
    }

    @Test
    void walstashNameWinsOverWalGName() {
        S3Config config = S3Config.from(Settings.of(Map.of("WALSTASH_S3_SSE", "AES256", "WALG_S3_SSE", "aws:kms")));
        assertThat(config.sse()).contains("AES256");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            5242880    | 5242880
            5MiB       | 5242880
            16m        | 16777216
            64MB       | 67108864
            1GiB       | 1073741824
            8192k      | 8388608
            """)
    void partSizes(String text, int bytes) {
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_PART_SIZE", text))).partSize()).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            WALSTASH_S3_PART_SIZE          | 4MiB                 | from 5MiB to 1GiB
            WALSTASH_S3_PART_SIZE          | 5242879              | from 5MiB to 1GiB
            WALSTASH_S3_PART_SIZE          | 2GiB                 | from 5MiB to 1GiB
            WALSTASH_S3_PART_SIZE          | 99999999999999999999 | must be a size
            WALSTASH_S3_PART_SIZE          | lots                 | must be a size
            WALSTASH_S3_SSE                | aes-256              | must be AES256, aws:kms or aws:kms:dsse
            WALSTASH_S3_STORAGE_CLASS      | standard ia          | not a storage class
            WALSTASH_S3_MAX_RETRIES        | -1                   | must be a whole number from 0 to 100
            WALSTASH_S3_MAX_RETRIES        | many                 | must be a whole number from 0 to 100
            WALSTASH_S3_REQUEST_TIMEOUT    | 0                    | must be a duration
            WALSTASH_S3_REQUEST_TIMEOUT    | soon                 | must be a duration
            WALSTASH_S3_CONDITIONAL_CREATE | maybe                | must be auto, if-none-match or check-then-put
            AWS_S3_FORCE_PATH_STYLE        | perhaps              | must be true or false
            AWS_ENDPOINT                   | minio:9000           | must be an http:// or https:// URL
            AWS_ENDPOINT                   | ftp://minio          | must be an http:// or https:// URL
            AWS_ENDPOINT                   | http://a b           | is not a URL
            AWS_REGION                     | US East              | is not a region name
            WALSTASH_S3_SSE_KMS_KEY_ID     | key                  | WALSTASH_S3_SSE_KMS_KEY_ID is set but WALSTASH_S3_SSE is not aws:kms
            WALG_S3_SSE_C                  | key                  | WALG_S3_SSE_C (SSE-C, customer-provided keys) is not supported
            """)
    void badValuesFailNamingTheSetting(String name, String value, String why) {
        assertThatThrownBy(() -> S3Config.from(Settings.of(Map.of(name, value))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(name)
                .hasMessageContaining(why)
                .hasMessageNotContaining("\n");
    }

    @Test
    void durations() {
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_REQUEST_TIMEOUT", "90"))).requestTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_REQUEST_TIMEOUT", "30s"))).requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_REQUEST_TIMEOUT", "5m"))).requestTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_REQUEST_TIMEOUT", "PT45S"))).requestTimeout()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void conditionalCreateModes() {
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_CONDITIONAL_CREATE", "check-then-put"))).conditionalCreate())
                .isEqualTo(S3Config.ConditionalCreate.CHECK_THEN_PUT);
        assertThat(S3Config.from(Settings.of(Map.of("WALSTASH_S3_CONDITIONAL_CREATE", "IF-NONE-MATCH"))).conditionalCreate())
                .isEqualTo(S3Config.ConditionalCreate.IF_NONE_MATCH);
    }

    @Test
    void halfOfAKeyPairFailsWithoutShowingTheHalfGiven() {
        assertThatThrownBy(() -> S3Config.from(Settings.of(Map.of("AWS_SECRET_ACCESS_KEY", SECRET))))
                .hasMessage("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both, or neither to use the AWS default credential chain");
        assertThatThrownBy(() -> S3Config.from(Settings.of(Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"))))
                .hasMessageContaining("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
                .hasMessageNotContaining("AKIDEXAMPLE");
        assertThatThrownBy(() -> S3Config.from(Settings.of(Map.of("AWS_SESSION_TOKEN", TOKEN))))
                .hasMessageContaining("AWS_SESSION_TOKEN is set without")
                .hasMessageNotContaining(TOKEN);
        assertThat(S3Config.from(Settings.of(Map.of("AWS_ACCESS_KEY", "AKIDEXAMPLE", "AWS_SECRET_KEY", SECRET))).accessKeyId())
                .as("WAL-G's short names").contains("AKIDEXAMPLE");
    }

    @Test
    void toStringShowsNoSecret() {
        S3Config config = S3Config.from(Settings.of(Map.of(
                "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE12345",
                "AWS_SECRET_ACCESS_KEY", SECRET,
                "AWS_SESSION_TOKEN", TOKEN,
                "AWS_ENDPOINT", "https://s3.example:9000",
                "WALSTASH_S3_SSE", "AES256")));

        assertThat(config.toString())
                .doesNotContain(SECRET).doesNotContain(TOKEN).doesNotContain("AKIDEXAMPLE12345")
                .contains("AKID****").contains("with session token").contains("https://s3.example:9000").contains("sse=AES256");
        assertThat(config.sessionToken()).isEqualTo(Optional.of(TOKEN));
    }
}
