package io.walstash.compression;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/**
 * The stream a codec's {@code compress} returns: writes go to a library encoder, library
 * {@link RuntimeException}s surface as {@link IOException}s, closing twice is safe, and
 * {@code toString()} shows the chain, such as {@code Zstd(Counting(File))}.
 */
final class EncoderStream extends OutputStream {
    private final String label;
    private final OutputStream target;
    private final OutputStream encoder;
    private boolean closed;

    /**
     * @param label shown by {@code toString()} and in error messages
     * @param target the stream the compressed bytes go to, shown by {@code toString()}
     * @param encoder the library stream that compresses into {@code target}
     */
    EncoderStream(String label, OutputStream target, OutputStream encoder) {
        this.label = Objects.requireNonNull(label, "label");
        this.target = Objects.requireNonNull(target, "target");
        this.encoder = Objects.requireNonNull(encoder, "encoder");
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        try {
            encoder.write(b);
        } catch (RuntimeException e) {
            throw Streams.failure(label + " compression failed", e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return;
        }
        try {
            encoder.write(b, off, len);
        } catch (RuntimeException e) {
            throw Streams.failure(label + " compression failed", e);
        }
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        try {
            encoder.flush();
        } catch (RuntimeException e) {
            throw Streams.failure(label + " compression failed", e);
        }
    }

    /**
     * Finishes the format and closes the target, also when finishing fails; a second call does
     * nothing.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            encoder.close();
        } catch (IOException e) {
            Streams.closeAfterFailure(target, e);
            throw e;
        } catch (RuntimeException e) {
            IOException failure = Streams.failure(label + " compression failed", e);
            Streams.closeAfterFailure(target, failure);
            throw failure;
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(label + " stream closed");
        }
    }

    @Override
    public String toString() {
        return label + "(" + target + ")";
    }
}
