package io.walstash.storage.gcs;

import com.google.cloud.ReadChannel;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.storage.gcs.GcsErrors.NotFound;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The bytes of one object (or a range of it) from a {@link ReadChannel}. At the end it checks that
 * the expected number of bytes came and, when a CRC32C is given, that they match it; a mismatch
 * fails the read instead of returning -1. Closing twice is safe.
 */
final class GcsInputStream extends InputStream {
    private final ReadChannel channel;
    private final GcsLocation location;
    private final String key;
    private final long expectedLength;
    private final String expectedCrc32c;
    private final CRC32C crc;
    private long position;
    private boolean ended;
    private boolean closed;

    /**
     * @param expectedLength the bytes the read must yield, or -1 when unknown
     * @param expectedCrc32c the object's CRC32C (base64), or null not to check
     */
    GcsInputStream(ReadChannel channel, GcsLocation location, String key, long expectedLength, String expectedCrc32c) {
        this.channel = channel;
        this.location = location;
        this.key = key;
        this.expectedLength = expectedLength;
        this.expectedCrc32c = expectedCrc32c;
        this.crc = expectedCrc32c == null ? null : new CRC32C();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream of " + location.describe(key) + " is closed");
        }
        if (len == 0) {
            return 0;
        }
        if (ended) {
            return -1;
        }
        int n;
        try {
            do {
                n = channel.read(ByteBuffer.wrap(b, off, len));
            } while (n == 0);
        } catch (IOException | RuntimeException e) {
            if (GcsErrors.status(e) == 404) {
                throw new NoSuchObjectException(key); // deleted since it was opened
            }
            throw GcsErrors.translate(e, location, "read '" + key + "'", NotFound.OTHER);
        }
        if (n < 0) {
            ended = true;
            checkEnd();
            return -1;
        }
        if (crc != null) {
            crc.update(b, off, n);
        }
        position += n;
        return n;
    }

    private void checkEnd() throws IOException {
        if (expectedLength >= 0 && position != expectedLength) {
            throw new IOException("read of " + location.describe(key) + " ended after " + position + " of "
                    + expectedLength + " bytes");
        }
        if (crc != null && !expectedCrc32c.equals(Crc32c.base64(crc))) {
            throw new IOException("crc32c mismatch reading " + location.describe(key) + ": the object's is "
                    + expectedCrc32c + ", the bytes received have " + Crc32c.base64(crc));
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "Gcs(" + location.describe(key) + ")";
    }
}
