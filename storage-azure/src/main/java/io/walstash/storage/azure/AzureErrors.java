package io.walstash.storage.azure;

import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobStorageException;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Turns the SDK's exceptions into {@link StorageFailure}s an operator can act on: one line naming
 * the container and the endpoint, never a credential. Known secrets are also scrubbed from the
 * few messages of other libraries that are quoted.
 */
final class AzureErrors {
    static final String CREATE_HINT = "create it with: walstash check --create-bucket";

    private final String container;
    private final String endpoint;
    private final List<String> secrets;

    /**
     * @param container the container's name
     * @param endpoint  the blob service endpoint, without query
     * @param secrets   values that must never appear in a message (blank ones are ignored)
     */
    AzureErrors(String container, String endpoint, List<String> secrets) {
        this.container = Objects.requireNonNull(container, "container");
        this.endpoint = stripQuery(Objects.requireNonNull(endpoint, "endpoint"));
        this.secrets = secrets.stream().filter(s -> s != null && s.length() >= 4).toList();
    }

    /** The endpoint as messages show it. */
    String endpoint() {
        return endpoint;
    }

    static boolean isStatus(RuntimeException e, int status) {
        return e instanceof BlobStorageException b && b.getStatusCode() == status;
    }

    static boolean isCode(RuntimeException e, BlobErrorCode code) {
        return e instanceof BlobStorageException b && code.equals(b.getErrorCode());
    }

    /** A 404 that is about the blob, not the container. */
    static boolean isMissingBlob(RuntimeException e) {
        return isStatus(e, 404) && !isCode(e, BlobErrorCode.CONTAINER_NOT_FOUND);
    }

    /** The answer to a create whose key was taken: 409 BlobAlreadyExists, or 412 for If-None-Match. */
    static boolean isTaken(RuntimeException e) {
        return isStatus(e, 412) || (isStatus(e, 409) && isCode(e, BlobErrorCode.BLOB_ALREADY_EXISTS));
    }

    StorageFailure noSuchContainer(Throwable cause) {
        return new StorageFailure(Reason.NO_SUCH_BUCKET, "container '" + container + "' does not exist at " + endpoint
                + "; " + CREATE_HINT, cause);
    }

    /**
     * Translates the failure of {@code action} (a phrase such as {@code "create 'wal/000000010000000000000001'"}
     * or {@code "list"}).
     */
    StorageFailure translate(RuntimeException e, String action) {
        if (e instanceof BlobStorageException b) {
            int status = b.getStatusCode();
            String code = b.getErrorCode() == null ? "" : " " + b.getErrorCode();
            if (status == 404 && BlobErrorCode.CONTAINER_NOT_FOUND.equals(b.getErrorCode())) {
                return noSuchContainer(e);
            }
            if (status == 401 || status == 403) {
                return new StorageFailure(Reason.ACCESS_DENIED, "container '" + container + "' at " + endpoint + " refused to "
                        + action + " (HTTP " + status + code + "); check the account key, the SAS token's permissions and expiry,"
                        + " or the identity's role assignment", e);
            }
            return new StorageFailure(Reason.SERVICE_ERROR, "cannot " + action + " in container '" + container + "' at "
                    + endpoint + ": HTTP " + status + code, e);
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String type = t.getClass().getName();
            if (t instanceof SSLException || t instanceof CertificateException) {
                return new StorageFailure(Reason.TLS, "TLS handshake with " + endpoint + " failed: " + describe(t), e);
            }
            if (t instanceof UnknownHostException) {
                return new StorageFailure(Reason.UNREACHABLE, "cannot resolve the host of " + endpoint + " to " + action, e);
            }
            if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof TimeoutException
                    || t instanceof InterruptedIOException || t instanceof SocketException) {
                return new StorageFailure(Reason.UNREACHABLE, "cannot reach " + endpoint + " to " + action + " in container '"
                        + container + "': " + describe(t), e);
            }
            // By name: azure-identity is loaded only when the default credential is used.
            if (type.equals("com.azure.identity.CredentialUnavailableException")) {
                return new StorageFailure(Reason.NO_CREDENTIALS, "no Azure credentials found to " + action + " in container '"
                        + container + "' at " + endpoint + ": set " + AzureDeclarations.ACCESS_KEY + ", " + AzureDeclarations.SAS_TOKEN
                        + " or " + AzureDeclarations.CONNECTION_STRING + ", or provide an Azure AD identity (AZURE_CLIENT_ID with"
                        + " AZURE_TENANT_ID and a secret or certificate, a managed or workload identity, or az login)", e);
            }
            if (type.equals("com.azure.core.exception.ClientAuthenticationException")
                    || type.startsWith("com.microsoft.aad.msal4j.")) {
                return new StorageFailure(Reason.ACCESS_DENIED, "Azure AD did not grant a token to " + action + " in container '"
                        + container + "' at " + endpoint + "; check the identity's credentials and role assignment", e);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException) {
                return new StorageFailure(Reason.UNREACHABLE, "the connection to " + endpoint + " failed to " + action
                        + " in container '" + container + "': " + describe(t), e);
            }
        }
        // Not quoted: messages of unknown exceptions may carry anything.
        return new StorageFailure(Reason.SERVICE_ERROR, "cannot " + action + " in container '" + container + "' at " + endpoint
                + ": " + e.getClass().getSimpleName(), e);
    }

    /** "Type: message" on one line, with URL queries and known secrets removed. */
    private String describe(Throwable t) {
        String message = t.getMessage() == null ? "" : ": " + t.getMessage();
        return scrub(t.getClass().getSimpleName() + message);
    }

    String scrub(String text) {
        String clean = text.replaceAll("\\s+", " ").strip();
        // A URL's query may hold a SAS signature.
        clean = clean.replaceAll("\\?[^\\s]*", "?...");
        for (String secret : secrets) {
            clean = clean.replace(secret, "***");
        }
        return clean;
    }

    private static String stripQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }
}
