package io.walstash.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GcsLocationTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            gs://bucket                      | bucket           | ''           | gs://bucket/
            gs://bucket/                     | bucket           | ''           | gs://bucket/
            gs://bucket/wal                  | bucket           | wal/         | gs://bucket/wal/
            gs://bucket/a/b/c/               | bucket           | a/b/c/       | gs://bucket/a/b/c/
            GS://bucket/x                    | bucket           | x/           | gs://bucket/x/
            gs://my_bucket-1.example.org/p   | my_bucket-1.example.org | p/    | gs://my_bucket-1.example.org/p/
            gs://abc/with%20space            | abc              | with space/  | gs://abc/with%20space/
            """)
    void parses(String uri, String bucket, String prefix, String canonical) {
        GcsLocation location = GcsLocation.of(URI.create(uri));

        assertThat(location.bucket()).isEqualTo(bucket);
        assertThat(location.prefix()).isEqualTo(prefix);
        assertThat(location.uri()).hasToString(canonical);
        assertThat(GcsLocation.of(location.uri())).isEqualTo(location);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            s3://bucket/x                | needs a 'gs' URI such as gs://bucket/prefix, got scheme 's3' in 's3://bucket/x'
            file:///x                    | got scheme 'file'
            gs:///x                      | names no bucket
            gs:bucket                    | is not of the form gs://bucket/prefix
            gs://Bucket/x                | GCS bucket name 'Bucket' in 'gs://Bucket/x' is invalid: use lower-case letters
            gs://ab/x                    | is shorter than 3 characters
            gs://-bucket/x               | starting and ending with a letter or digit
            gs://bucket-/x               | starting and ending with a letter or digit
            gs://192.168.1.10/x          | looks like an IP address
            gs://goog-bucket/x           | must not start with 'goog' or contain 'google'
            gs://my-google-bucket/x      | must not start with 'goog' or contain 'google'
            gs://bucket:443/x            | use lower-case letters
            gs://bucket/a//b             | has an empty path segment ('//')
            gs://bucket//a               | has an empty path segment ('//')
            gs://bucket/a/../b           | has a '..' path segment
            gs://bucket/x?versions=1     | must not have a query or fragment
            gs://bucket/x#f              | must not have a query or fragment
            """)
    void rejects(String uri, String why) {
        assertThatThrownBy(() -> GcsLocation.of(URI.create(uri)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why)
                .hasMessageNotContaining("\n");
    }

    @Test
    void bucketNameLengths() {
        assertThat(GcsLocation.bucketProblem("a".repeat(63))).isNull();
        assertThat(GcsLocation.bucketProblem("a".repeat(64))).isEqualTo("it is longer than 63 characters");
        String dotted = ("a".repeat(60) + ".").repeat(3) + "a".repeat(39);
        assertThat(dotted).hasSize(222);
        assertThat(GcsLocation.bucketProblem(dotted)).isNull();
        assertThat(GcsLocation.bucketProblem(dotted + "a")).isEqualTo("a name with dots is at most 222 characters");
        assertThat(GcsLocation.bucketProblem("a".repeat(64) + ".b")).isEqualTo("each dot-separated part is at most 63 characters");
    }

    @Test
    void keysBecomeObjectNamesUnderThePrefix() {
        GcsLocation location = GcsLocation.of(URI.create("gs://bucket/repo"));

        assertThat(location.objectName("wal_005/000000010000000000000001.zst")).isEqualTo("repo/wal_005/000000010000000000000001.zst");
        assertThat(location.keyOf("repo/a/b")).isEqualTo("a/b");
        assertThat(location.listPrefix("")).isEqualTo("repo/");
        assertThat(location.describe("a/b")).isEqualTo("gs://bucket/repo/a/b");
        assertThat(location).hasToString("gs://bucket/repo/");
    }

    @Test
    void rejectsKeysThatCantBeObjectNames() {
        GcsLocation location = GcsLocation.of(URI.create("gs://bucket/repo"));

        assertThatThrownBy(() -> location.objectName("")).hasMessage("invalid storage key '': it is empty");
        assertThatThrownBy(() -> location.objectName("/abs")).hasMessage("invalid storage key '/abs': it is absolute (starts with '/')");
        assertThatThrownBy(() -> location.listPrefix("/abs")).hasMessageContaining("it is absolute");
        assertThatThrownBy(() -> location.objectName("a\nb")).hasMessageContaining("can't contain line breaks");
        assertThat(location.objectName("k".repeat(1024 - 5))).hasSize(1024);
        assertThatThrownBy(() -> location.objectName("k".repeat(1024 - 4)))
                .hasMessageContaining("with the prefix it is longer than GCS's 1024 bytes");
    }
}
