package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/** What goes over the wire, against {@link FakeS3}: headers from the settings, and the conditional-create protocol. */
class S3RequestsTest {
    private static final int MIB = 1 << 20;

    private FakeS3 fake;

    @BeforeEach
    void startFake() throws IOException {
        fake = new FakeS3();
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }

    private Map<String, String> settings(String... more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "AWS_ENDPOINT", fake.endpoint().toString(),
                "AWS_S3_FORCE_PATH_STYLE", "true",
                "AWS_ACCESS_KEY_ID", "fake-key",
                "AWS_SECRET_ACCESS_KEY", "fake-secret-value",
                "WALSTASH_S3_MAX_RETRIES", "2"));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    private Storage open(String... more) throws IOException {
        return new S3StorageProvider().open(URI.create("s3://bucket/repo"), Settings.of(settings(more)));
    }

    private static ByteArrayInputStream bytes(byte[] content) {
        return new ByteArrayInputStream(content);
    }

    private static byte[] content(int size, int seed) {
        byte[] content = new byte[size];
        new java.util.Random(seed).nextBytes(content);
        return content;
    }

    @Test
    void smallPutIsConditionalAndCarriesEncryptionAndStorageClass() throws IOException {
        try (Storage storage = open("WALSTASH_S3_SSE", "aws:kms", "WALSTASH_S3_SSE_KMS_KEY_ID", "alias/walstash",
                "WALSTASH_S3_STORAGE_CLASS", "standard_ia")) {
            assertThat(storage.createIfAbsent("wal/1", bytes(new byte[] {1, 2, 3}))).isTrue();
        }

        assertThat(fake.requestLines()).containsExactly("PUT /bucket/repo/wal/1");
        FakeS3.Request put = fake.requests().get(0);
        assertThat(put.header("If-None-Match")).isEqualTo("*");
        assertThat(put.header("x-amz-server-side-encryption")).isEqualTo("aws:kms");
        assertThat(put.header("x-amz-server-side-encryption-aws-kms-key-id")).isEqualTo("alias/walstash");
        assertThat(put.header("x-amz-storage-class")).isEqualTo("STANDARD_IA");
        assertThat(put.header("Authorization")).contains("/us-east-1/s3/aws4_request").doesNotContain("fake-secret-value");
        assertThat(put.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(put.bodyLength()).isEqualTo(3);
        assertThat(fake.object("/bucket/repo/wal/1")).containsExactly(1, 2, 3);
    }

    @Test
    void aes256AndRegion() throws IOException {
        try (Storage storage = open("WALG_S3_SSE", "AES256", "AWS_REGION", "eu-central-1")) {
            storage.createIfAbsent("k", bytes(new byte[] {1}));
        }
        FakeS3.Request put = fake.requests().get(0);
        assertThat(put.header("x-amz-server-side-encryption")).isEqualTo("AES256");
        assertThat(put.header("x-amz-server-side-encryption-aws-kms-key-id")).isNull();
        assertThat(put.header("x-amz-storage-class")).isNull();
        assertThat(put.header("Authorization")).contains("/eu-central-1/s3/aws4_request");
    }

    @Test
    void contentLongerThanAPartGoesUpInPartsWithEncryptionOnTheUpload() throws IOException {
        byte[] content = content(12 * MIB + 5, 1);
        try (Storage storage = open("WALSTASH_S3_PART_SIZE", "5MiB", "WALSTASH_S3_SSE", "AES256", "WALSTASH_S3_STORAGE_CLASS", "GLACIER_IR")) {
            assertThat(storage.createIfAbsent("base/tar", bytes(content))).isTrue();
        }

        assertThat(fake.requestLines()).containsExactly(
                "POST /bucket/repo/base/tar?uploads",
                "PUT /bucket/repo/base/tar?partNumber&uploadId",
                "PUT /bucket/repo/base/tar?partNumber&uploadId",
                "PUT /bucket/repo/base/tar?partNumber&uploadId",
                "POST /bucket/repo/base/tar?uploadId");
        List<FakeS3.Request> requests = fake.requests();
        assertThat(requests.get(0).header("x-amz-server-side-encryption")).isEqualTo("AES256");
        assertThat(requests.get(0).header("x-amz-storage-class")).isEqualTo("GLACIER_IR");
        assertThat(requests.subList(1, 4)).extracting(FakeS3.Request::bodyLength).containsExactly(5 * MIB, 5 * MIB, 2 * MIB + 5);
        assertThat(requests.get(4).header("If-None-Match")).isEqualTo("*");
        assertThat(fake.object("/bucket/repo/base/tar")).isEqualTo(content);
    }

    @Test
    void contentOfExactlyOnePartIsOnePut() throws IOException {
        byte[] content = content(5 * MIB, 2);
        try (Storage storage = open("WALSTASH_S3_PART_SIZE", "5MiB")) {
            assertThat(storage.createIfAbsent("k", bytes(content))).isTrue();
        }
        assertThat(fake.requestLines()).containsExactly("PUT /bucket/repo/k");
        assertThat(fake.object("/bucket/repo/k")).isEqualTo(content);
    }

    @Test
    void takenKeyIsAnsweredFalseAndATakenMultipartUploadIsAborted() throws IOException {
        fake.putObject("/bucket/repo/k", new byte[] {9});
        try (Storage storage = open("WALSTASH_S3_PART_SIZE", "5MiB")) {
            assertThat(storage.createIfAbsent("k", bytes(new byte[] {1}))).isFalse();
            assertThat(storage.createIfAbsent("k", bytes(content(6 * MIB, 3)))).isFalse();
        }
        assertThat(fake.object("/bucket/repo/k")).containsExactly(9);
        assertThat(fake.requestLines()).containsExactly(
                "PUT /bucket/repo/k",
                "POST /bucket/repo/k?uploads",
                "PUT /bucket/repo/k?partNumber&uploadId",
                "PUT /bucket/repo/k?partNumber&uploadId",
                "POST /bucket/repo/k?uploadId",
                "DELETE /bucket/repo/k?uploadId");
    }

    @Test
    void writeWhoseAnswerIsLostIsRecognisedAsOurOwnOnRetry() throws IOException {
        fake.failAfterWrite(2);
        try (Storage storage = open("WALSTASH_S3_PART_SIZE", "5MiB")) {
            assertThat(storage.createIfAbsent("small", bytes(new byte[] {1, 2}))).isTrue();
            assertThat(storage.createIfAbsent("large", bytes(content(6 * MIB, 4)))).isTrue();
        }
        assertThat(fake.requestLines()).containsExactly(
                "PUT /bucket/repo/small", // stored, answered 500
                "PUT /bucket/repo/small", // retried: 412, the ETag is ours
                "HEAD /bucket/repo/small",
                "POST /bucket/repo/large?uploads",
                "PUT /bucket/repo/large?partNumber&uploadId",
                "PUT /bucket/repo/large?partNumber&uploadId",
                "POST /bucket/repo/large?uploadId",
                "POST /bucket/repo/large?uploadId",
                "HEAD /bucket/repo/large");
    }

    /**
     * By default the SDK makes one attempt per request: walstash's retry layer (WALSTASH_RETRIES)
     * is the one retry budget. A PUT whose answer is lost fails once, and the layer's retry of the
     * create then hears "taken" (412), which the layer settles by comparing the stored bytes.
     */
    @Test
    void byDefaultTheSdkMakesOneAttemptAndARepeatedCreateHearsTaken() throws IOException {
        Map<String, String> settings = settings();
        settings.remove("WALSTASH_S3_MAX_RETRIES");
        fake.failAfterWrite(1);
        try (Storage storage = new S3StorageProvider().open(URI.create("s3://bucket/repo"), Settings.of(settings))) {
            assertThatThrownBy(() -> storage.createIfAbsent("small", bytes(new byte[] {1, 2})))
                    .isInstanceOf(StorageFailure.class);
            assertThat(fake.requestLines()).as("one attempt, no SDK retry").containsExactly("PUT /bucket/repo/small");
            assertThat(storage.createIfAbsent("small", bytes(new byte[] {1, 2}))).as("the layer's retry").isFalse();
            assertThat(storage.read("small").readAllBytes()).containsExactly(1, 2);
        }
        assertThat(fake.requestLines()).containsExactly("PUT /bucket/repo/small", "PUT /bucket/repo/small", "GET /bucket/repo/small");
    }

    @Test
    void storeThatRefusesIfNoneMatchIsServedByCheckThenPutFromThenOn() throws IOException {
        fake.ifNoneMatch(FakeS3.IfNoneMatch.REFUSE_501);
        try (Storage storage = open("WALSTASH_S3_PART_SIZE", "5MiB")) {
            assertThat(storage.createIfAbsent("a", bytes(new byte[] {1}))).isTrue();
            assertThat(fake.requestLines()).containsExactly(
                    "PUT /bucket/repo/a", // refused with 501
                    "HEAD /bucket/repo/a",
                    "HEAD /bucket",
                    "PUT /bucket/repo/a",
                    "HEAD /bucket/repo/a");
            assertThat(fake.requests().get(3).header("If-None-Match")).isNull();

            fake.clearRequests();
            assertThat(storage.createIfAbsent("a", bytes(new byte[] {2}))).isFalse();
            assertThat(storage.createIfAbsent("b", bytes(content(6 * MIB, 5)))).isTrue();
            assertThat(fake.requestLines()).containsExactly(
                    "HEAD /bucket/repo/a",
                    "HEAD /bucket/repo/b",
                    "POST /bucket/repo/b?uploads",
                    "PUT /bucket/repo/b?partNumber&uploadId",
                    "PUT /bucket/repo/b?partNumber&uploadId",
                    "HEAD /bucket/repo/b",
                    "POST /bucket/repo/b?uploadId",
                    "HEAD /bucket/repo/b");
        }
        assertThat(fake.object("/bucket/repo/a")).containsExactly(1);
    }

    @Test
    void strictModeFailsOnAStoreThatRefusesIfNoneMatch() throws IOException {
        fake.ifNoneMatch(FakeS3.IfNoneMatch.REFUSE_501);
        try (Storage storage = open("WALSTASH_S3_CONDITIONAL_CREATE", "if-none-match")) {
            assertThatThrownBy(() -> storage.createIfAbsent("a", bytes(new byte[] {1})))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(StorageFailure.Reason.SERVICE_ERROR))
                    .hasMessageContaining("PUT a in bucket 'bucket'")
                    .hasMessageContaining("NotImplemented (HTTP 501)");
        }
        assertThat(fake.object("/bucket/repo/a")).isNull();
    }

    @Test
    void checkThenPutNeverTouchesAnExistingObjectOnAStoreThatIgnoresIfNoneMatch() throws IOException {
        fake.ifNoneMatch(FakeS3.IfNoneMatch.IGNORE);
        try (Storage storage = open("WALSTASH_S3_CONDITIONAL_CREATE", "check-then-put")) {
            assertThat(storage.createIfAbsent("a", bytes(new byte[] {1}))).isTrue();
            assertThat(storage.createIfAbsent("a", bytes(new byte[] {2}))).isFalse();
        }
        assertThat(fake.object("/bucket/repo/a")).containsExactly(1);
        assertThat(fake.requestLines()).containsExactly(
                "HEAD /bucket/repo/a", "HEAD /bucket", "PUT /bucket/repo/a", "HEAD /bucket/repo/a", "HEAD /bucket/repo/a");
    }

    /** Without the setting (the default, false) the bucket goes into the host name. */
    @Test
    void virtualHostedStyleUnlessPathStyleIsForced() throws IOException {
        List<SdkHttpRequest> seen = new CopyOnWriteArrayList<>();
        ExecutionInterceptor recorder = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                seen.add(context.httpRequest());
            }
        };
        Map<String, String> settings = settings("AWS_S3_FORCE_PATH_STYLE", "false", "WALSTASH_S3_MAX_RETRIES", "0",
                "AWS_ENDPOINT", "http://localhost:" + fake.endpoint().getPort());
        try (S3Storage storage = S3Storage.open(S3Location.of(URI.create("s3://bucket/repo")), S3Config.from(Settings.of(settings)),
                b -> b.overrideConfiguration(b.overrideConfiguration().toBuilder().addExecutionInterceptor(recorder).build()))) {
            try {
                storage.stat("k");
            } catch (StorageFailure e) {
                // bucket.localhost may not resolve here; the request is what this test is about
            }
        }
        assertThat(seen).isNotEmpty();
        assertThat(seen.get(0).host()).isEqualTo("bucket.localhost");
        assertThat(seen.get(0).encodedPath()).isEqualTo("/repo/k");
    }
}
