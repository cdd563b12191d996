package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Multipart uploads against s3proxy, with the smallest part size S3 allows. */
class S3MultipartTest {
    private static final int MIB = 1 << 20;

    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    private String bucket;
    private Storage storage;

    @BeforeEach
    void openStorage() throws IOException {
        bucket = S3.newBucket();
        Map<String, String> settings = new HashMap<>(S3.settings());
        settings.put("WALSTASH_S3_PART_SIZE", "5MiB");
        storage = new S3StorageProvider().open(URI.create("s3://" + bucket + "/mp"), Settings.of(settings));
    }

    @org.junit.jupiter.api.AfterEach
    void closeStorage() throws IOException {
        storage.close();
    }

    private static byte[] content(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private int pendingUploads() {
        return S3.client().listMultipartUploads(b -> b.bucket(bucket)).uploads().size();
    }

    @Test
    void objectLargerThanAPartRoundTrips() throws Exception {
        byte[] content = content(12 * MIB + 321, 1);

        assertThat(storage.createIfAbsent("big", new ByteArrayInputStream(content))).isTrue();

        assertThat(storage.stat("big")).get().extracting(ObjectInfo::size).isEqualTo((long) content.length);
        try (InputStream in = storage.read("big")) {
            assertThat(sha256(in.readAllBytes())).isEqualTo(sha256(content));
        }
        try (InputStream in = storage.readRange("big", 5 * MIB - 10, 20)) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(content, 5 * MIB - 10, 5 * MIB + 10));
        }
        assertThat(S3.client().headObject(b -> b.bucket(bucket).key("mp/big")).eTag()).as("a multipart ETag").endsWith("-3\"");
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void exactlyOnePartAndOneByteMore() throws Exception {
        byte[] one = content(5 * MIB, 2);
        byte[] more = content(5 * MIB + 1, 3);

        assertThat(storage.createIfAbsent("one", new ByteArrayInputStream(one))).isTrue();
        assertThat(storage.createIfAbsent("more", new ByteArrayInputStream(more))).isTrue();

        assertThat(S3.client().headObject(b -> b.bucket(bucket).key("mp/one")).eTag()).doesNotContain("-");
        assertThat(S3.client().headObject(b -> b.bucket(bucket).key("mp/more")).eTag()).endsWith("-2\"");
        try (InputStream in = storage.read("more")) {
            assertThat(in.readAllBytes()).isEqualTo(more);
        }
        assertThat(pendingUploads()).isZero();
    }

    @Test
    void streamFailingMidUploadLeavesNoObjectAndNoPendingUpload() throws IOException {
        IOException failure = new IOException("disk read failed");
        InputStream failing = new StorageContractTest.FailingInputStream(new ByteArrayInputStream(content(12 * MIB, 4)), 7 * MIB, failure);

        assertThatThrownBy(() -> storage.createIfAbsent("broken", failing)).isSameAs(failure);

        assertThat(storage.stat("broken")).isEmpty();
        assertThat(pendingUploads()).as("the upload was aborted").isZero();
        try (var keys = storage.list("")) {
            assertThat(keys).isEmpty();
        }
    }

    @Test
    void takenKeyIsNotReplacedAndItsUploadIsAborted() throws Exception {
        assertThat(storage.createIfAbsent("taken", new ByteArrayInputStream(new byte[] {42}))).isTrue();

        assertThat(storage.createIfAbsent("taken", new ByteArrayInputStream(content(11 * MIB, 5)))).isFalse();

        try (InputStream in = storage.read("taken")) {
            assertThat(in.readAllBytes()).containsExactly(42);
        }
        assertThat(pendingUploads()).isZero();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
