package io.walstash.core.archive;

import io.walstash.core.io.BlockFilterInputStream;
import io.walstash.core.io.Digests;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes bytes through while hashing them, and at end of stream fails unless length and SHA-256
 * equal the expected ones. Failing at EOF, before the consumer sees the end, is what keeps a
 * consumer that commits on EOF (an upload, a file about to be renamed) from committing bad bytes.
 */
public final class VerifyingInputStream extends BlockFilterInputStream {
    /** Builds the exception thrown on a mismatch, given what was actually read. */
    public interface MismatchReporter {
        IOException mismatch(ObjectHeader expected, ObjectHeader actual);
    }

    private final ObjectHeader expected;
    private final MismatchReporter reporter;
    private final MessageDigest digest = Digests.sha256();
    private long length;
    private boolean verified;

    public VerifyingInputStream(InputStream in, ObjectHeader expected, MismatchReporter reporter) {
        super(in);
        this.expected = expected;
        this.reporter = reporter;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            digest.update(b, off, n);
            length += n;
            if (length > expected.plainLength()) {
                throw reporter.mismatch(expected, new ObjectHeader(length, digest.digest()));
            }
        } else if (n < 0 && !verified) {
            ObjectHeader actual = new ObjectHeader(length, digest.digest());
            if (!actual.sameContentAs(expected)) {
                throw reporter.mismatch(expected, actual);
            }
            verified = true;
        }
        return n;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public String toString() {
        return "Verifying(" + in + ")";
    }
}
