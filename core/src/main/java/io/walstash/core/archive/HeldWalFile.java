package io.walstash.core.archive;

import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * A WAL file read whole into memory, so that a push reads it from disk once: the digest that goes
 * into the object header, the segment checks and the compressed upload all come from the same
 * bytes, which also means the file can't change between hashing and uploading.
 *
 * @param bytes  a buffer holding the file in its first {@code length} bytes (possibly larger, pooled)
 */
record HeldWalFile(byte[] bytes, int length) {
    /** Files above this are pushed streaming; WAL segments are 16 MiB unless initdb was told otherwise. */
    static final long MAX_LENGTH = 64L << 20;
    private static final int READ_STEP = 1 << 20;

    /** The file read into a buffer from {@code buffers}, or empty when it is larger than they hold. */
    static Optional<HeldWalFile> read(Path file, Buffers buffers) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > buffers.maxLength()) {
                return Optional.empty();
            }
            byte[] bytes = buffers.take((int) size);
            int length = 0;
            while (length < bytes.length) {
                // in steps: NIO reads into a heap array through a temporary direct buffer of the
                // request's size, which a daemon's short-lived request thread would allocate anew
                int n = channel.read(ByteBuffer.wrap(bytes, length, Math.min(READ_STEP, bytes.length - length)));
                if (n < 0) {
                    break;
                }
                length += n;
            }
            if (length == bytes.length && channel.read(ByteBuffer.allocate(1)) > 0) {
                buffers.release(bytes);
                throw new IOException(file + " changed while it was being archived: it grew past " + size + " bytes");
            }
            return Optional.of(new HeldWalFile(bytes, length));
        }
    }

    LocalWalFile inspect(Path file, WalFileName name) throws IOException {
        return LocalWalFile.inspect(file, name, bytes, length);
    }

    /**
     * Buffers reused between pushes, for files of up to {@code maxLength} bytes; at most
     * {@code retained} are kept.
     */
    static final class Buffers {
        private static final int MIN_KEPT = 1 << 20;
        private final int retained;
        private final long maxLength;
        private final Deque<byte[]> free = new ArrayDeque<>();

        Buffers(int retained, long maxLength) {
            this.retained = retained;
            this.maxLength = maxLength;
        }

        long maxLength() {
            return maxLength;
        }

        /** A buffer of at least {@code size} bytes; exactly {@code size} when none kept is large enough. */
        synchronized byte[] take(int size) {
            for (byte[] b : free) {
                if (b.length >= size && b.length <= Math.max(size, 1) * 2L) {
                    free.remove(b);
                    return b;
                }
            }
            return new byte[size];
        }

        /** Keeps {@code buffer} for a later push, unless enough are kept or it is small (cheap to allocate). */
        synchronized void release(byte[] buffer) {
            if (free.size() < retained && buffer.length >= MIN_KEPT) {
                free.push(buffer);
            }
        }

        synchronized int kept() {
            return free.size();
        }
    }
}
