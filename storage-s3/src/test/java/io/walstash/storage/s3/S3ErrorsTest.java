package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The translation of the SDK's failures that the tests against servers can't provoke here. */
class S3ErrorsTest {
    private final S3Errors errors = new S3Errors("my-bucket", "https://s3.example:9000");

    private static S3Exception service(int status, String code, String message) {
        return (S3Exception) S3Exception.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build()).build();
    }

    private static SdkClientException client(String message, Throwable cause) {
        return SdkClientException.builder().message(message).cause(cause).build();
    }

    @Test
    void noCredentials() {
        StorageFailure failure = errors.translate("PUT k", client(
                "Unable to load credentials from any of the providers in the chain AwsCredentialsProviderChain(...)", null));
        assertThat(failure.reason()).isEqualTo(Reason.NO_CREDENTIALS);
        assertThat(failure).hasMessage("no credentials: PUT k in bucket 'my-bucket': no AWS credentials found; set AWS_ACCESS_KEY_ID"
                + " and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance or task role");
    }

    @Test
    void networkFailures() {
        assertThat(errors.translate("GET k", client("Unable to execute HTTP request: minio", new UnknownHostException("minio"))))
                .hasMessage("endpoint unreachable: GET k in bucket 'my-bucket': cannot reach https://s3.example:9000: unknown host minio")
                .extracting(StorageFailure::reason).isEqualTo(Reason.UNREACHABLE);
        assertThat(errors.translate("GET k", client("x", new ConnectException("Connection refused"))))
                .hasMessageEndingWith("cannot reach https://s3.example:9000: connection refused");
        assertThat(errors.translate("GET k", client("x", new SocketTimeoutException("Read timed out"))))
                .hasMessageEndingWith("cannot reach https://s3.example:9000: timed out");
        assertThat(errors.translate("PUT k", ApiCallAttemptTimeoutException.create(120_000)))
                .hasMessage("endpoint unreachable: PUT k in bucket 'my-bucket': https://s3.example:9000 did not answer in time");
        assertThat(errors.translate("PUT k", client("x", new IOException("Premature EOF"))))
                .hasMessage("endpoint unreachable: PUT k in bucket 'my-bucket': connection to https://s3.example:9000 failed: Premature EOF");
    }

    @Test
    void tls() {
        StorageFailure failure = errors.translate("HEAD k", client("Unable to execute HTTP request",
                new SSLHandshakeException("PKIX path building failed:\nunable to find valid certification path")));
        assertThat(failure.reason()).isEqualTo(Reason.TLS);
        assertThat(failure).hasMessage("TLS problem: HEAD k in bucket 'my-bucket': TLS handshake with https://s3.example:9000 failed:"
                + " PKIX path building failed: unable to find valid certification path (a private CA goes in WALSTASH_S3_CA_FILE)");
    }

    @Test
    void serviceErrors() {
        assertThat(errors.translate("PUT k", service(403, "AccessDenied", "Access Denied")))
                .hasMessage("access denied: PUT k in bucket 'my-bucket' at https://s3.example:9000 refused: AccessDenied (HTTP 403):"
                        + " the credentials lack the permission for this bucket or key");
        assertThat(errors.translate("HEAD k", service(403, null, null)))
                .hasMessage("access denied: HEAD k in bucket 'my-bucket' at https://s3.example:9000 refused: HTTP 403");
        assertThat(errors.translate("PUT k", service(400, "ExpiredToken", "The provided token has expired.")).reason())
                .isEqualTo(Reason.ACCESS_DENIED);
        assertThat(errors.translate("list ''", service(404, "NoSuchBucket", "The specified bucket does not exist")))
                .hasMessage("no such bucket: list '': bucket 'my-bucket' does not exist at https://s3.example:9000;"
                        + " create it with: walstash check --create-bucket");
        assertThat(errors.translate("GET k", service(503, "SlowDown", "Please reduce your\nrequest rate.")))
                .hasMessage("storage service error: GET k in bucket 'my-bucket' at https://s3.example:9000 failed:"
                        + " SlowDown (HTTP 503): Please reduce your request rate.")
                .extracting(StorageFailure::reason).isEqualTo(Reason.SERVICE_ERROR);
        assertThat(errors.translate("GET k", service(403, "InvalidObjectState", "The operation is not valid for the object's storage class")))
                .hasMessageEndingWith("InvalidObjectState (HTTP 403): the object is in an archive storage class; restore it first")
                .extracting(StorageFailure::reason).isEqualTo(Reason.SERVICE_ERROR);
    }
}
