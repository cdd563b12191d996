package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.storage.azure.AzuriteServer;
import io.walstash.storage.gcs.FakeGcsServer;
import io.walstash.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code walstash check} against the local servers that speak the cloud protocols, configured the
 * way an operator configures it: a WAL-G-style .env file passed with --config.
 */
class CheckCloudStorageIT {
    @RegisterExtension
    static final AzuriteServer AZURITE = new AzuriteServer();

    @TempDir
    Path dir;

    private String envFile(Map<String, String> settings) throws IOException {
        Path file = dir.resolve("walstash-" + settings.hashCode() + ".env");
        Files.writeString(file, settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")));
        return file.toString();
    }

    private Map<String, String> azure(String container, String key) {
        return Map.of("WALG_AZ_PREFIX", "azure://" + container + "/pg-primary",
                "WALSTASH_AZURE_ENDPOINT", AZURITE.blobEndpoint(),
                "AZURE_STORAGE_ACCOUNT", AzuriteServer.ACCOUNT,
                "AZURE_STORAGE_ACCESS_KEY", key);
    }

    @Test
    void azureMissingContainerPointsToCreateBucketWhichThenWorks() throws IOException {
        String config = envFile(azure("check-missing", AzuriteServer.ACCOUNT_KEY));

        CliRun missing = CliRun.of("check", "--config", config);
        assertThat(missing.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(missing.errLines()).singleElement().asString()
                .contains("no such bucket").contains("check-missing").contains("check --create-bucket");

        CliRun created = CliRun.of("check", "--config", config, "--create-bucket");
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.out()).contains("bucket: created", "read it back", "OK: the storage works",
                "  unfinished uploads: no rule needed (Azure discards uncommitted blocks a week after they were staged)",
                "  versioning: unknown (blob versioning is a storage-account setting the blob API does not show;");
        assertThat(CliRun.of("check", "--config", config).exitCode()).isZero();
    }

    @Test
    void azureWrongKeyIsAccessDeniedWithoutTheKey() throws IOException {
        String wrongKey = java.util.Base64.getEncoder().encodeToString("not the account key at all, sorry".getBytes());
        CliRun run = CliRun.of("check", "--config", envFile(azure("check-wrong-key", wrongKey)), "--create-bucket");

        assertThat(run.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(run.errLines()).singleElement().asString().contains("access denied");
        assertThat(run.out() + run.err()).doesNotContain(wrongKey).doesNotContain(AzuriteServer.ACCOUNT_KEY);
    }

    @Test
    void gcsMissingBucketPointsToCreateBucketWhichThenWorks() throws IOException {
        try (FakeGcsServer gcs = FakeGcsServer.start()) {
            String config = envFile(Map.of("WALG_GS_PREFIX", "gs://check-bucket/pg", "WALSTASH_GCS_ENDPOINT",
                    gcs.endpoint().toString(), "WALSTASH_GCS_PROJECT", "test-project"));

            CliRun missing = CliRun.of("check", "--config", config);
            assertThat(missing.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
            assertThat(missing.errLines()).singleElement().asString()
                    .contains("no such bucket").contains("check-bucket").contains("check --create-bucket");

            CliRun created = CliRun.of("check", "--config", config, "--create-bucket");
            assertThat(created.exitCode()).as(created.err()).isZero();
            assertThat(created.out()).contains("bucket: created", "OK: the storage works",
                    "  unfinished uploads: no rule needed (GCS ends an unfinished resumable upload a week after it began)",
                    "  versioning: off (the bucket's versioning.enabled is not set)");
            assertThat(gcs.hasBucket("check-bucket")).isTrue();
            assertThat(gcs.objectNames("check-bucket")).as("the probe is deleted").isEmpty();
        }
    }

    /**
     * s3proxy implements no lifecycle rules (NotImplemented): one warning line, and the check passes;
     * its in-memory store keeps versions, which the report names. (The rule as sent to a store that
     * takes it: S3BucketSetUpTest.)
     */
    @Test
    void s3CreateBucketWarnsInOneLineWhereTheStoreHasNoLifecycleRulesAndReportsVersioning() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.startInMemory()) {
            String bucket = S3ProxyServer.uniqueBucketName("check-s3");
            Map<String, String> settings = new java.util.HashMap<>(s3.settings("s3://" + bucket + "/pg"));
            String config = envFile(settings);

            CliRun created = CliRun.of("check", "--config", config, "--create-bucket");
            assertThat(created.exitCode()).as(created.err()).isZero();
            assertThat(created.errLines()).containsExactly("walstash: warning: unfinished multipart uploads are not aborted by the"
                    + " bucket (reading the bucket's lifecycle rules: the store answered NotImplemented (HTTP 501)); add a lifecycle"
                    + " rule that aborts them after 7 days by hand");
            assertThat(created.out()).contains("bucket: created", "  versioning: off (GetBucketVersioning: never enabled)",
                    "OK: the storage works").doesNotContain("unfinished uploads:");

            s3.client().putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(c -> c.status("Enabled")));
            CliRun again = CliRun.of("check", "--config", config, "--create-bucket");
            assertThat(again.exitCode()).as(again.err()).isZero();
            assertThat(again.out()).contains("bucket: already there", "  versioning: on (GetBucketVersioning: Enabled); what retention"
                    + " deletes stays stored as noncurrent versions until a lifecycle rule expires them");
            assertThat(again.out() + again.err()).doesNotContain(S3ProxyServer.SECRET_KEY);
        }
    }

    @Test
    void unreachableEndpointSaysSo() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String config = envFile(Map.of("WALG_GS_PREFIX", "gs://nowhere/pg", "WALSTASH_GCS_ENDPOINT",
                "http://127.0.0.1:" + closedPort, "WALSTASH_GCS_PROJECT", "p", "WALSTASH_GCS_MAX_RETRIES", "0"));

        CliRun run = CliRun.of("check", "--config", config);
        assertThat(run.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(run.errLines()).singleElement().asString().contains("endpoint unreachable");
    }
}
