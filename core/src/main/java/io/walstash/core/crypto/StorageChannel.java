package io.walstash.core.crypto;

import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * A read-only channel over the bytes of one stored object from {@code base} on, for the seekable
 * decryption of range reads. It streams: a read where the last one ended continues the open range
 * request; a read elsewhere opens a new one from there to the end. Remembers whether reading
 * ever failed, so that a storage failure is not taken for a corrupt object.
 */
final class StorageChannel implements SeekableByteChannel {
    private final Storage storage;
    private final String key;
    private final long base;
    private final long size;
    private final byte[] buffer = new byte[1 << 16];
    private InputStream stream;
    private long streamPosition = -1;
    private long position;
    private volatile boolean failed;
    private boolean open = true;

    /** {@code size}: the object's bytes from {@code base} on. */
    StorageChannel(Storage storage, String key, long base, long size) {
        this.storage = storage;
        this.key = key;
        this.base = base;
        this.size = size;
    }

    boolean failed() {
        return failed;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (position >= size) {
            return -1;
        }
        try {
            if (stream == null || streamPosition != position) {
                closeStream();
                stream = storage.readRange(key, base + position, size - position);
                streamPosition = position;
            }
            int n = stream.read(buffer, 0, (int) Math.min(dst.remaining(), Math.min(size - position, buffer.length)));
            if (n < 0) {
                return -1; // the object is shorter than stat said: the decryption finds it truncated
            }
            dst.put(buffer, 0, n);
            position += n;
            streamPosition += n;
            return n;
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public SeekableByteChannel truncate(long ignored) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        open = false;
        closeStream();
    }

    private void closeStream() throws IOException {
        if (stream != null) {
            InputStream closing = stream;
            stream = null;
            closing.close();
        }
    }
}
