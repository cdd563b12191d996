package io.walstash.core.io;

import io.walstash.core.concurrent.Failures;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads another stream on a thread of its own, up to {@code depth} chunks ahead of its reader, so
 * that what produces the bytes (reading a file, checking its pages, hashing them) and what takes
 * them (compressing, storing) run on two cores at once instead of one after the other. Bytes, the
 * end and a failure arrive in the order the other stream gave them; a failure is thrown as it was
 * thrown there. Closing stops the reading thread, waits for it (it stops within one chunk), and
 * closes the other stream. Not for use by more than one reader at a time.
 */
public final class ReadAheadInputStream extends BlockInputStream {
    /** A chunk of bytes, the end ({@code bytes} null, no failure) or a failure. */
    private record Chunk(byte[] bytes, int length, Throwable failure) {
    }

    private static final Chunk END = new Chunk(null, 0, null);
    private static final long POLL_MILLIS = 50;

    private final InputStream in;
    private final BlockingQueue<Chunk> filled;
    private final BlockingQueue<byte[]> free;
    private final Future<?> reader;
    private volatile boolean closed;
    private Chunk current;
    private int position;
    private boolean ended;

    public ReadAheadInputStream(InputStream in, ExecutorService executor, int chunkSize, int depth) {
        if (chunkSize < 1 || depth < 1) {
            throw new IllegalArgumentException("chunk size and depth must be positive: " + chunkSize + ", " + depth);
        }
        this.in = in;
        this.filled = new ArrayBlockingQueue<>(depth + 1); // room for the end or a failure behind full chunks
        this.free = new ArrayBlockingQueue<>(depth);
        for (int i = 0; i < depth; i++) {
            free.add(new byte[chunkSize]);
        }
        this.reader = executor.submit(this::fill);
    }

    private void fill() {
        try {
            while (!closed) {
                byte[] buffer = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (buffer == null) {
                    continue;
                }
                int n = in.readNBytes(buffer, 0, buffer.length);
                if (n > 0 && !offer(new Chunk(buffer, n, null))) {
                    return;
                }
                if (n < buffer.length) {
                    offer(END);
                    return;
                }
            }
        } catch (Throwable e) { // every failure reaches the reader, in its place
            offer(new Chunk(null, 0, e));
        }
    }

    /** Hands {@code chunk} to the reader; false once closed. */
    private boolean offer(Chunk chunk) {
        try {
            while (!closed) {
                if (filled.offer(chunk, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        if (current == null) {
            if (ended) {
                return -1;
            }
            try {
                current = filled.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for bytes read ahead");
            }
            position = 0;
            if (current.bytes() == null) {
                Throwable failure = current.failure();
                current = null;
                ended = true;
                if (failure == null) {
                    return -1;
                }
                throw Failures.rethrown(failure);
            }
        }
        int n = Math.min(len, current.length() - position);
        System.arraycopy(current.bytes(), position, b, off, n);
        position += n;
        if (position == current.length()) {
            free.add(current.bytes());
            current = null;
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            reader.get(1, TimeUnit.MINUTES); // it looks at the flag between chunks
        } catch (ExecutionException e) {
            // its failures were handed on as chunks; nothing else ends it
        } catch (TimeoutException e) {
            reader.cancel(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reader.cancel(true);
        } finally {
            in.close();
        }
    }
}
