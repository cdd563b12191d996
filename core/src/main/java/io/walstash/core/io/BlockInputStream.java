package io.walstash.core.io;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream whose subclasses implement only {@link #read(byte[], int, int)}: the
 * single-byte {@code read} goes through it. {@link BlockFilterInputStream} is the same for filters.
 */
public abstract class BlockInputStream extends InputStream {
    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
