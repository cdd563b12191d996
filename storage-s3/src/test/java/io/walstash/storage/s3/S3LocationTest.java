package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class S3LocationTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            s3://bucket                         | bucket      | ''
            s3://bucket/                        | bucket      | ''
            s3://my-bucket/wal                  | my-bucket   | wal/
            s3://my.bucket.01/a/b/c/            | my.bucket.01| a/b/c/
            S3://bucket/Prefix/With%20Space     | bucket      | Prefix/With Space/
            """)
    void parsesBucketAndPrefix(String uri, String bucket, String prefix) {
        S3Location location = S3Location.of(URI.create(uri));

        assertThat(location.bucket()).isEqualTo(bucket);
        assertThat(location.prefix()).isEqualTo(prefix);
        assertThat(location.objectKey("k/1")).isEqualTo(prefix + "k/1");
        assertThat(location.storageKey(prefix + "k/1")).isEqualTo("k/1");
        assertThat(S3Location.of(location.uri())).isEqualTo(location);
        assertThat(location.uri().getScheme()).isEqualTo("s3");
    }

    @Test
    void uriIsCanonicalAndSafeToShow() {
        assertThat(S3Location.of(URI.create("s3://bucket/a/b")).uri()).hasToString("s3://bucket/a/b/");
        assertThat(S3Location.of(URI.create("s3://bucket")).uri()).hasToString("s3://bucket/");
        assertThat(S3Location.of(URI.create("s3://bucket/a%20b")).uri()).hasToString("s3://bucket/a%20b/");
        assertThat(S3Location.of(URI.create("s3://bucket/a")).toString()).isEqualTo("s3://bucket/a/");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            file:///x                  | S3 storage needs an 's3' URI such as s3://bucket/prefix, got scheme 'file'
            gs://bucket/x              | got scheme 'gs'
            s3:bucket                  | is not of the form s3://bucket/prefix
            s3:///prefix               | names no bucket
            s3://bucket:9000/x         | names a port; the endpoint goes in AWS_ENDPOINT
            s3://bucket/x?versionId=1  | must not have a query or fragment
            s3://bucket/a//b           | has an empty path segment
            s3://Bucket/x              | only lowercase letters, digits
            s3://ab/x                  | 3 to 63 characters
            s3://under_score/x         | only lowercase letters, digits
            s3://-bucket/x             | starting and ending with a letter or digit
            s3://bucket-/x             | starting and ending with a letter or digit
            s3://buck..et/x            | '..', '.-' and '-.' are not allowed
            s3://192.168.1.10/x        | must not look like an IP address
            s3://xn--bucket/x          | the prefix 'xn--' is reserved
            s3://bucket-s3alias/x      | the suffix '-s3alias' is reserved
            """)
    void rejectsWithAOneLineReason(String uri, String why) {
        assertThatThrownBy(() -> S3Location.of(URI.create(uri)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why)
                .hasMessageNotContaining("\n");
    }

    @Test
    void credentialsInTheUriAreRefusedWithoutEchoingThem() {
        assertThatThrownBy(() -> S3Location.of(URI.create("s3://AKIDEXAMPLE:sup3rs3cret@bucket/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not carry credentials")
                .hasMessageNotContaining("sup3rs3cret")
                .hasMessageNotContaining("AKIDEXAMPLE");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "a-b.c", "0bucket9", "a23456789012345678901234567890123456789012345678901234567890123"})
    void acceptsValidBucketNames(String name) {
        assertThat(S3Location.bucketNameProblem(name)).isNull();
    }

    @Test
    void bucketNameLongerThan63IsRefused() {
        assertThat(S3Location.bucketNameProblem("a".repeat(64))).contains("3 to 63");
    }
}
