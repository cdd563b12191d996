package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;

/**
 * What {@code check --create-bucket} sets up in an S3 bucket besides creating it: the lifecycle rule
 * that aborts unfinished multipart uploads, and the versioning report. s3proxy (the real store of
 * these tests) answers every lifecycle request with NotImplemented (its handler lists "lifecycle"
 * among the parameters it refuses, S3ProxyHandler.UNSUPPORTED_PARAMETERS); so the refusal is
 * tested against it, and the rule itself — the exact request, and the bucket's other rules kept —
 * against {@link FakeS3}, which records what it is sent. Versioning is read from s3proxy: its
 * file store has none, its in-memory store keeps versions.
 */
class S3BucketSetUpTest {
    private static final String OURS = "<ID>" + S3Storage.ABORT_RULE_ID + "</ID>";

    private static CreatesBucket open(URI endpoint, String uri, Map<String, String> settings) throws IOException {
        Storage storage = new S3StorageProvider().open(URI.create(uri), Settings.of(settings));
        assertThat(storage).as("the retry layer forwards the bucket's set-up").isInstanceOf(CreatesBucket.class);
        return (CreatesBucket) storage;
    }

    @Test
    void s3proxyRefusesTheLifecycleRuleAndThatIsAnAnswerNotAFailure() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            String bucket = S3ProxyServer.uniqueBucketName("walstash-setup");
            CreatesBucket storage = open(s3.endpoint(), "s3://" + bucket + "/repo", s3.settings());
            assertThat(storage.createBucketIfMissing()).isTrue();

            assertThat(storage.abortIncompleteUploads(7)).isInstanceOfSatisfying(UploadCleanup.Refused.class,
                    refused -> assertThat(refused.reason()).isEqualTo("reading the bucket's lifecycle rules: the store answered"
                            + " NotImplemented (HTTP 501)"));
            assertThat(storage.versioning()).as("the file store keeps no versions")
                    .isEqualTo(new Versioning(Versioning.State.OFF, "GetBucketVersioning: never enabled"));
            ((Storage) storage).close();
        }
    }

    @Test
    void versioningIsReadAsTheBucketHasIt() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.startInMemory()) {
            String bucket = s3.newBucket();
            CreatesBucket storage = open(s3.endpoint(), "s3://" + bucket + "/", s3.settings());
            assertThat(storage.versioning().state()).isEqualTo(Versioning.State.OFF);

            s3.client().putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(c -> c.status(BucketVersioningStatus.ENABLED)));
            assertThat(storage.versioning()).isEqualTo(new Versioning(Versioning.State.ON, "GetBucketVersioning: Enabled"));

            s3.client().putBucketVersioning(b -> b.bucket(bucket).versioningConfiguration(c -> c.status(BucketVersioningStatus.SUSPENDED)));
            assertThat(storage.versioning().state()).isEqualTo(Versioning.State.SUSPENDED);
            ((Storage) storage).close();
        }
    }

    private static Map<String, String> fakeSettings(FakeS3 fake) {
        return Map.of("AWS_ENDPOINT", fake.endpoint().toString(), "AWS_S3_FORCE_PATH_STYLE", "true",
                "AWS_ACCESS_KEY_ID", "fake-key", "AWS_SECRET_ACCESS_KEY", "fake-secret-value", "WALSTASH_S3_MAX_RETRIES", "0");
    }

    @Test
    void theRuleIsAddedBesideTheBucketsOtherRulesOnceForThePrefix() throws IOException {
        try (FakeS3 fake = new FakeS3()) {
            fake.lifecycle("<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ID>expire-tmp</ID>"
                    + "<Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration>"
                    + "</Rule></LifecycleConfiguration>");
            CreatesBucket storage = open(fake.endpoint(), "s3://bucket/pg/main", fakeSettings(fake));

            assertThat(storage.abortIncompleteUploads(7)).isEqualTo(new UploadCleanup.Added(7, S3Storage.ABORT_RULE_ID));
            assertThat(fake.requestLines()).containsExactly("GET /bucket?lifecycle", "PUT /bucket?lifecycle");
            FakeS3.Request put = fake.requests().get(1);
            assertThat(put.headers().keySet()).as("S3 refuses a lifecycle configuration without a checksum")
                    .anyMatch(h -> h.equals("content-md5") || h.startsWith("x-amz-checksum-"));
            String sent = fake.lifecycle().replaceAll(">\\s+<", "><");
            assertThat(sent).contains("<ID>expire-tmp</ID>", "<Prefix>tmp/</Prefix>", "<Expiration><Days>30</Days></Expiration>")
                    .contains(OURS, "<Prefix>pg/main/</Prefix>", "<Status>Enabled</Status>",
                            "<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>");

            fake.clearRequests();
            assertThat(storage.abortIncompleteUploads(7)).as("a second run finds its rule")
                    .isEqualTo(new UploadCleanup.Present(7, S3Storage.ABORT_RULE_ID));
            assertThat(fake.requestLines()).containsExactly("GET /bucket?lifecycle");
            ((Storage) storage).close();
        }
    }

    @Test
    void aBucketWithoutRulesGetsOursAndARuleForTheWholeBucketIsKeptInstead() throws IOException {
        try (FakeS3 fake = new FakeS3()) {
            CreatesBucket storage = open(fake.endpoint(), "s3://bucket/", fakeSettings(fake));
            assertThat(storage.abortIncompleteUploads(7)).isInstanceOf(UploadCleanup.Added.class);
            assertThat(fake.lifecycle().replaceAll(">\\s+<", "><")).contains(OURS).doesNotContain("<ID>expire-tmp</ID>");
            ((Storage) storage).close();
        }
        try (FakeS3 fake = new FakeS3()) {
            fake.lifecycle("<LifecycleConfiguration><Rule><ID>theirs</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
                    + "<AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
                    + "</Rule></LifecycleConfiguration>");
            CreatesBucket storage = open(fake.endpoint(), "s3://bucket/repo", fakeSettings(fake));
            assertThat(storage.abortIncompleteUploads(7)).isEqualTo(new UploadCleanup.Present(3, "theirs"));
            assertThat(fake.requestLines()).as("nothing put").isEqualTo(List.of("GET /bucket?lifecycle"));
            ((Storage) storage).close();
        }
    }
}
