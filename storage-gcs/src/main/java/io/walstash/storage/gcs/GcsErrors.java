package io.walstash.storage.gcs;

import com.google.cloud.BaseServiceException;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.util.HashSet;
import java.util.Set;
import javax.net.ssl.SSLException;

/**
 * Turns what google-cloud-storage throws into {@link StorageFailure}s with one-line messages that
 * name the bucket and never a credential.
 */
final class GcsErrors {
    static final String CREATE_BUCKET_HINT = "create it with: walstash check --create-bucket";
    private static final int MAX_DETAIL = 200;

    private GcsErrors() {
    }

    /** What a 404 means for the request that got it. */
    enum NotFound {
        /** The request addressed only the bucket (list, upload, bucket probe): 404 is a missing bucket. */
        BUCKET,
        /** The request addressed an object: the caller handles 404 itself; here it is a service error. */
        OTHER
    }

    /** The StorageException (or HTTP error) in {@code e}'s causal chain, if any. */
    static BaseServiceException serviceException(Throwable e) {
        for (Throwable t : chain(e)) {
            if (t instanceof BaseServiceException service) {
                return service;
            }
        }
        return null;
    }

    /** The HTTP status in {@code e}'s chain, or 0 when there is none (connection trouble, local failure). */
    static int status(Throwable e) {
        BaseServiceException service = serviceException(e);
        if (service != null && service.getCode() > 0) {
            return service.getCode();
        }
        for (Throwable t : chain(e)) {
            if (t instanceof com.google.api.client.http.HttpResponseException http) {
                return http.getStatusCode();
            }
        }
        return 0;
    }

    /**
     * Translates a failure of {@code operation} (such as "read 'wal/0001'") on {@code location}.
     * A plain IOException from the caller's own input stream is returned as it is; a runtime
     * exception that is neither the service's nor caused by I/O (a bug, an unsupported call) is
     * rethrown as it is rather than dressed up as a storage failure.
     */
    static IOException translate(Throwable e, GcsLocation location, String operation, NotFound notFound) {
        if (e instanceof StorageFailure failure) {
            return failure;
        }
        if (e instanceof RuntimeException runtime && serviceException(e) == null && !causedByIo(e)) {
            throw runtime;
        }
        Throwable root = e;
        for (Throwable t : chain(e)) {
            root = t;
        }
        if (status(e) == 0 && root instanceof RuntimeException runtime && !(root instanceof BaseServiceException)
                && !causedByIo(e)) {
            throw runtime; // the client wrapped a local failure (a bug, an unsupported call) as a service exception
        }
        String where = location + " (" + operation + ")";
        for (Throwable t : chain(e)) {
            if (t instanceof InterruptedIOException && !(t instanceof SocketTimeoutException)) {
                return (InterruptedIOException) t;
            }
        }
        for (Throwable t : chain(e)) {
            if (t instanceof SSLException || t instanceof CertificateException) {
                return new StorageFailure(Reason.TLS, where + ": " + describe(t), safe(e));
            }
        }
        for (Throwable t : chain(e)) {
            if (t instanceof UnknownHostException) {
                return new StorageFailure(Reason.UNREACHABLE, where + ": unknown host " + oneLine(t.getMessage()), safe(e));
            }
            if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof SocketTimeoutException) {
                return new StorageFailure(Reason.UNREACHABLE, where + ": " + describe(t), safe(e));
            }
        }
        for (Throwable t : chain(e)) {
            // The auth library's failures to get a token (revoked key, unknown account) are IOExceptions of this type.
            if (t.getClass().getName().equals("com.google.auth.oauth2.GoogleAuthException")) {
                return new StorageFailure(Reason.ACCESS_DENIED, where + ": the credentials were rejected when getting a token", safe(e));
            }
        }
        int status = status(e);
        String detail = serviceDetail(e);
        if (status == 401 || status == 403) {
            return new StorageFailure(Reason.ACCESS_DENIED, where + ": HTTP " + status + detail, safe(e));
        }
        if (status == 404 && notFound == NotFound.BUCKET) {
            return noSuchBucket(location, safe(e));
        }
        if (status > 0) {
            return new StorageFailure(Reason.SERVICE_ERROR, where + ": HTTP " + status + detail, safe(e));
        }
        if (e instanceof IOException io && serviceException(e) == null) {
            return io;
        }
        if (root instanceof IOException) {
            // Connection reset, end of stream from the server and the like, after the retries.
            return new StorageFailure(Reason.UNREACHABLE, where + ": " + describe(root), safe(e));
        }
        return new StorageFailure(Reason.SERVICE_ERROR, where + ": " + describe(root), safe(e));
    }

    /**
     * The cause to keep: none when a message in the chain holds a resumable upload's session URL
     * (its upload_id lets anyone who has it write to the session; Google asks to treat it as a secret).
     */
    private static Throwable safe(Throwable e) {
        for (Throwable t : chain(e)) {
            if (t.getMessage() != null && t.getMessage().contains("upload_id")) {
                return null;
            }
        }
        return e;
    }

    private static boolean causedByIo(Throwable e) {
        for (Throwable t : chain(e)) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    static StorageFailure noSuchBucket(GcsLocation location, Throwable cause) {
        return new StorageFailure(Reason.NO_SUCH_BUCKET, "bucket '" + location.bucket() + "' does not exist ("
                + location + "); " + CREATE_BUCKET_HINT, cause);
    }

    private static String serviceDetail(Throwable e) {
        BaseServiceException service = serviceException(e);
        if (service == null || service.getMessage() == null) {
            return "";
        }
        String message = oneLine(service.getMessage());
        return message.isEmpty() ? "" : ": " + message;
    }

    private static String describe(Throwable t) {
        String message = t.getMessage() == null ? "" : oneLine(t.getMessage());
        return message.isEmpty() ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + message;
    }

    /** The first line, shortened: service messages can run long, and a log line is one line. */
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        String line = text.strip();
        int newline = line.indexOf('\n');
        if (newline >= 0) {
            line = line.substring(0, newline).strip();
        }
        line = line.replace('\r', ' ').replaceAll("upload_id=[^&\\s]+", "upload_id=...");
        return line.length() > MAX_DETAIL ? line.substring(0, MAX_DETAIL) + "…" : line;
    }

    private static Iterable<Throwable> chain(Throwable e) {
        java.util.List<Throwable> chain = new java.util.ArrayList<>();
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
