package io.walstash.compression;

import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Decompresses brotli through brotli4j's JNI wrapper, in place of brotli4j's
 * {@code BrotliInputStream}, which fails with "unexpected end of input" on valid streams whose
 * last input bytes expand to more than the window: after handing out a window of output the
 * native decoder reports that it needs more input although it can still produce output from the
 * input it has. 16 MiB of zeros, an idle WAL segment, compressed with brotli's default 4 MiB
 * window is such a stream. Here, at the end of the input, the decoder is pushed once more
 * without input; only when it still cannot go on is the input truncated.
 */
final class BrotliDecoderStream extends InputStream {
    private final InputStream source;
    private final DecoderJNI.Wrapper decoder;
    private final byte[] scratch;
    /** Output pulled from the decoder and not read yet, valid until the next push or pull. */
    private ByteBuffer output;
    private boolean closed;

    /** The native library must be loaded. */
    BrotliDecoderStream(InputStream source, int bufferSize) throws IOException {
        this.source = Objects.requireNonNull(source, "source");
        this.decoder = new DecoderJNI.Wrapper(bufferSize);
        this.scratch = new byte[bufferSize];
    }

    @Override
    public int read() throws IOException {
        return fill() ? output.get() & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, output.remaining());
        output.get(b, off, n);
        return n;
    }

    @Override
    public int available() {
        return output == null ? 0 : output.remaining();
    }

    /** Makes decoded bytes available in {@link #output}; false at the end of the stream. */
    private boolean fill() throws IOException {
        if (closed) {
            throw new IOException("brotli stream closed");
        }
        while (output == null || !output.hasRemaining()) {
            output = null;
            switch (decoder.getStatus()) {
                case DONE:
                    if (!decoder.hasOutput()) {
                        return false;
                    }
                    output = decoder.pull();
                    break;
                case OK:
                    decoder.push(0);
                    break;
                case NEEDS_MORE_OUTPUT:
                    output = decoder.pull();
                    break;
                case NEEDS_MORE_INPUT:
                    if (decoder.hasOutput()) {
                        output = decoder.pull();
                    } else {
                        pushInput();
                    }
                    break;
                default:
                    throw new IOException("corrupt brotli data");
            }
        }
        return true;
    }

    private void pushInput() throws IOException {
        int n = source.read(scratch);
        if (n < 0) {
            decoder.push(0);
            if (decoder.getStatus() == DecoderJNI.Status.NEEDS_MORE_INPUT && !decoder.hasOutput()) {
                throw new EOFException("truncated brotli data: the input ended inside the stream");
            }
            return;
        }
        ByteBuffer input = decoder.getInputBuffer();
        input.clear();
        input.put(scratch, 0, n);
        decoder.push(n);
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        output = null;
        try {
            decoder.destroy();
        } finally {
            source.close();
        }
    }
}
