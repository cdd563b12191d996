package io.walstash.compression;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * The stream a codec's {@code decompress} returns: reads come from a library decoder, library
 * {@link RuntimeException}s on corrupt input surface as {@link IOException}s, closing twice is
 * safe, and {@code toString()} shows the chain, such as {@code Zstd(File)}.
 */
final class DecoderStream extends InputStream {
    private final String label;
    private final InputStream source;
    private final InputStream decoder;
    private boolean closed;

    /**
     * @param label shown by {@code toString()} and in error messages
     * @param source the stream of compressed bytes, shown by {@code toString()}
     * @param decoder the library stream that decompresses {@code source}
     */
    DecoderStream(String label, InputStream source, InputStream decoder) {
        this.label = Objects.requireNonNull(label, "label");
        this.source = Objects.requireNonNull(source, "source");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
    }

    @Override
    public int read() throws IOException {
        ensureOpen();
        try {
            return decoder.read();
        } catch (RuntimeException e) {
            throw corrupt(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        try {
            return decoder.read(b, off, len);
        } catch (RuntimeException e) {
            throw corrupt(e);
        }
    }

    @Override
    public long skip(long n) throws IOException {
        ensureOpen();
        try {
            return decoder.skip(n);
        } catch (RuntimeException e) {
            throw corrupt(e);
        }
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        try {
            return decoder.available();
        } catch (RuntimeException e) {
            throw corrupt(e);
        }
    }

    /** Closes the decoder and the source; a second call does nothing. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            decoder.close();
        } catch (IOException e) {
            Streams.closeAfterFailure(source, e);
            throw e;
        } catch (RuntimeException e) {
            IOException failure = Streams.failure(label + " decoder failed to close", e);
            Streams.closeAfterFailure(source, failure);
            throw failure;
        }
    }

    private IOException corrupt(RuntimeException e) {
        return Streams.failure("corrupt " + label + " data", e);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException(label + " stream closed");
        }
    }

    @Override
    public String toString() {
        return label + "(" + source + ")";
    }
}
