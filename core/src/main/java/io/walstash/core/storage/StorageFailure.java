package io.walstash.core.storage;

import java.io.IOException;
import java.util.Objects;

/**
 * A storage operation failed for a reason the operator can act on. Adapters translate their SDK's
 * exceptions into this, with a one-line message that names the bucket, container or path and
 * never a credential, so that {@code walstash check} and every command can say what went wrong.
 */
public final class StorageFailure extends IOException {

    /** What went wrong, as an operator would fix it. */
    public enum Reason {
        /** No credentials were found, or the ones found are malformed. */
        NO_CREDENTIALS("no credentials"),
        /** Credentials were rejected, or lack the permission. */
        ACCESS_DENIED("access denied"),
        /** The bucket or container does not exist ({@code walstash check --create-bucket} makes it). */
        NO_SUCH_BUCKET("no such bucket"),
        /** The endpoint could not be reached (DNS, connection refused, timeout). */
        UNREACHABLE("endpoint unreachable"),
        /** The TLS handshake failed (untrusted certificate, wrong host name). */
        TLS("TLS problem"),
        /** The service answered with an error not listed above. */
        SERVICE_ERROR("storage service error");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        /** A short phrase for messages, such as "access denied". */
        public String label() {
            return label;
        }
    }

    private final Reason reason;

    public StorageFailure(Reason reason, String message, Throwable cause) {
        super(reason.label() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public StorageFailure(Reason reason, String message) {
        this(reason, message, null);
    }

    public Reason reason() {
        return reason;
    }
}
