package io.walstash.storage.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Bytes {@code [offset, offset + length)} of a file, read with positional reads so that nothing
 * before the range is read. Ends early, like the file. Closing twice is safe. Unbuffered: wrap it
 * when reading byte by byte.
 */
final class FileRangeInputStream extends InputStream {
    private final FileChannel channel;
    private final Path path;
    private final long end;
    private long position;
    private boolean closed;

    FileRangeInputStream(FileChannel channel, Path path, long offset, long length) {
        this.channel = channel;
        this.path = path;
        this.position = offset;
        this.end = length > Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + length;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == 1 ? one[0] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (position >= end) {
            return -1;
        }
        ByteBuffer buffer = ByteBuffer.wrap(b, off, (int) Math.min(len, end - position));
        int n;
        do {
            n = channel.read(buffer, position);
        } while (n == 0);
        if (n < 0) {
            return -1;
        }
        position += n;
        return n;
    }

    /** Moves the position without reading. */
    @Override
    public long skip(long n) throws IOException {
        ensureOpen();
        long skipped = Math.max(0, Math.min(n, Math.min(end, channel.size()) - position));
        position += skipped;
        return skipped;
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, Math.min(end, channel.size()) - position));
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("stream of " + path + " is closed");
        }
    }

    @Override
    public String toString() {
        return "File(" + path + " @" + position + ")";
    }
}
