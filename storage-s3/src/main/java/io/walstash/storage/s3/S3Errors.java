package io.walstash.storage.s3;

import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns the SDK's exceptions into {@link StorageFailure}s an operator can act on: one line that
 * names the operation, the bucket and the endpoint, and never a credential. The SDK's exception
 * stays attached as the cause.
 */
final class S3Errors {
    static final String CREATE_BUCKET_HINT = "create it with: walstash check --create-bucket";

    private static final Set<String> ACCESS_CODES = Set.of("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
            "AllAccessDisabled", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AccountProblem",
            "InvalidSecurity", "RequestTimeTooSkewed", "KMS.AccessDeniedException");

    private final String bucket;
    private final String endpoint;

    S3Errors(String bucket, String endpoint) {
        this.bucket = bucket;
        this.endpoint = endpoint;
    }

    /** The service's error code, or null for client-side failures. */
    static String errorCode(Throwable e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            return service.awsErrorDetails().errorCode();
        }
        return null;
    }

    static int status(Throwable e) {
        return e instanceof AwsServiceException service ? service.statusCode() : -1;
    }

    /**
     * A failure for {@code operation} (such as "PUT key" or "list prefix"). The message never
     * quotes the SDK's own text for authentication errors, which can echo request details.
     */
    StorageFailure translate(String operation, RuntimeException e) {
        if (e instanceof AwsServiceException service) {
            return service(operation, service);
        }
        return client(operation, e);
    }

    /** How many attempts the SDK made before giving up with {@code e}. */
    static int attempts(Throwable e) {
        Integer attempts = e instanceof SdkException sdk ? sdk.numAttempts() : null;
        return attempts == null ? 1 : attempts;
    }

    StorageFailure noSuchBucket(String operation, Throwable cause) {
        return new StorageFailure(Reason.NO_SUCH_BUCKET, operation + ": bucket '" + bucket + "' does not exist at " + endpoint
                + "; " + CREATE_BUCKET_HINT, cause);
    }

    private StorageFailure service(String operation, AwsServiceException e) {
        String code = errorCode(e);
        int status = e.statusCode();
        if ("NoSuchBucket".equals(code)) {
            return noSuchBucket(operation, e);
        }
        if ("InvalidObjectState".equals(code)) {
            return new StorageFailure(Reason.SERVICE_ERROR, operation + " in bucket '" + bucket + "' at " + endpoint
                    + " failed: InvalidObjectState (HTTP " + status + "): the object is in an archive storage class; restore it first", e);
        }
        if (code != null && ACCESS_CODES.contains(code) || status == 401 || status == 403) {
            return new StorageFailure(Reason.ACCESS_DENIED, operation + " in bucket '" + bucket + "' at " + endpoint + " refused: "
                    + (code == null ? "HTTP " + status : code + " (HTTP " + status + ")") + accessHint(code), e);
        }
        String detail = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        return new StorageFailure(Reason.SERVICE_ERROR, operation + " in bucket '" + bucket + "' at " + endpoint + " failed: "
                + (code == null ? "" : code + " ") + "(HTTP " + status + ")" + (detail == null ? "" : ": " + oneLine(detail)), e);
    }

    private static String accessHint(String code) {
        if (code == null) {
            return "";
        }
        return switch (code) {
            case "InvalidAccessKeyId" -> ": the access key id is not known to the service (check AWS_ACCESS_KEY_ID)";
            case "SignatureDoesNotMatch" -> ": the secret key does not match the access key id (check AWS_SECRET_ACCESS_KEY)";
            case "ExpiredToken", "TokenRefreshRequired" -> ": the session token has expired (check AWS_SESSION_TOKEN)";
            case "InvalidToken" -> ": the session token is malformed or invalid (check AWS_SESSION_TOKEN)";
            case "RequestTimeTooSkewed" -> ": this machine's clock is too far from the service's";
            case "AccessDenied" -> ": the credentials lack the permission for this bucket or key";
            default -> "";
        };
    }

    private StorageFailure client(String operation, RuntimeException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.contains("Unable to load credentials")) {
            return new StorageFailure(Reason.NO_CREDENTIALS, operation + " in bucket '" + bucket + "': no AWS credentials found;"
                    + " set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance or task role", e);
        }
        if (e instanceof ApiCallAttemptTimeoutException || e instanceof ApiCallTimeoutException) {
            return new StorageFailure(Reason.UNREACHABLE, operation + " in bucket '" + bucket + "': " + endpoint
                    + " did not answer in time", e);
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException || t instanceof SSLException && !(t.getCause() instanceof SocketException)) {
                return new StorageFailure(Reason.TLS, operation + " in bucket '" + bucket + "': TLS handshake with " + endpoint
                        + " failed: " + oneLine(String.valueOf(rootMessage(t)))
                        + " (a private CA goes in WALSTASH_S3_CA_FILE)", e);
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException || t instanceof java.net.http.HttpTimeoutException) {
                return new StorageFailure(Reason.UNREACHABLE, operation + " in bucket '" + bucket + "': cannot reach " + endpoint
                        + ": " + describeNetwork(t), e);
            }
        }
        if (hasCause(e, IOException.class)) {
            return new StorageFailure(Reason.UNREACHABLE, operation + " in bucket '" + bucket + "': connection to " + endpoint
                    + " failed: " + oneLine(String.valueOf(rootMessage(e))), e);
        }
        return new StorageFailure(Reason.SERVICE_ERROR, operation + " in bucket '" + bucket + "' at " + endpoint + " failed: "
                + oneLine(message), e);
    }

    private static String describeNetwork(Throwable t) {
        if (t instanceof UnknownHostException) {
            return "unknown host " + t.getMessage();
        }
        if (t instanceof ConnectException) {
            return "connection refused";
        }
        if (t instanceof SocketTimeoutException) {
            return "timed out";
        }
        return oneLine(t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

}
