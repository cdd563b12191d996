package io.walstash.core.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A filter whose subclasses implement only {@link #read(byte[], int, int)}: the single-byte
 * {@code read} and {@code skip} go through it too, so no byte bypasses what the subclass does with
 * them (hashing, counting, bounding).
 */
public abstract class BlockFilterInputStream extends FilterInputStream {
    protected BlockFilterInputStream(InputStream in) {
        super(in);
    }

    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;

    /** Reads what it skips (up to 8 KiB a call, as skip may), instead of passing the skip beneath. */
    @Override
    public long skip(long n) throws IOException {
        if (n <= 0) {
            return 0;
        }
        byte[] skipped = new byte[(int) Math.min(n, 8192)];
        return Math.max(read(skipped, 0, skipped.length), 0);
    }
}
