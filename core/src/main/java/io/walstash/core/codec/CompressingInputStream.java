package io.walstash.core.codec;

import io.walstash.core.io.BlockInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Reading this stream yields {@code source} compressed with a codec. It pulls: each refill reads
 * one chunk of the source and pushes it through the codec's output stream into a small buffer,
 * so an upload can consume compressed bytes without a second thread or a temporary file, and
 * memory stays bounded by the chunk size and the codec's own window.
 */
public final class CompressingInputStream extends BlockInputStream {
    private static final int CHUNK = 256 * 1024;

    private final InputStream source;
    private final Codec codec;
    private final SinkBuffer sink = new SinkBuffer();
    private final OutputStream compressor;
    private final byte[] chunk = new byte[CHUNK];
    private boolean sourceDone;
    private boolean closed;

    public CompressingInputStream(InputStream source, Codec codec) throws IOException {
        this.source = source;
        this.codec = codec;
        this.compressor = codec.compress(sink);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (sink.available() == 0) {
            if (sourceDone) {
                return -1;
            }
            refill();
        }
        return sink.drainTo(b, off, len);
    }

    private void refill() throws IOException {
        sink.compact();
        int n = source.read(chunk);
        if (n < 0) {
            sourceDone = true;
            compressor.close(); // finishes the format: trailer bytes land in the sink
        } else {
            compressor.write(chunk, 0, n);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            source.close();
        } finally {
            if (!sourceDone) {
                try {
                    compressor.close();
                } catch (IOException ignored) {
                    // the compressed output is abandoned; only the source's failure matters
                }
            }
        }
    }

    @Override
    public String toString() {
        return codec.name() + "(" + source + ")";
    }

    /** A growable byte queue the compressor writes into and {@link #read} drains. */
    private static final class SinkBuffer extends OutputStream {
        private byte[] bytes = new byte[CHUNK];
        private int start;
        private int end;

        int available() {
            return end - start;
        }

        int drainTo(byte[] b, int off, int len) {
            int n = Math.min(len, available());
            System.arraycopy(bytes, start, b, off, n);
            start += n;
            return n;
        }

        void compact() {
            if (start > 0) {
                System.arraycopy(bytes, start, bytes, 0, end - start);
                end -= start;
                start = 0;
            }
        }

        @Override
        public void write(int b) {
            ensure(1);
            bytes[end++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, bytes, end, len);
            end += len;
        }

        private void ensure(int extra) {
            if (end + extra > bytes.length) {
                compact();
                if (end + extra > bytes.length) {
                    bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, end + extra));
                }
            }
        }

        @Override
        public void close() {
            // the codec closes its sink when it finishes; the buffer must stay readable
        }
    }
}
