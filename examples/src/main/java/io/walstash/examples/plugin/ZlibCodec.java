package io.walstash.examples.plugin;

import io.walstash.core.codec.Codec;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.util.Objects;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * A third-party codec: zlib ({@code zlib}, objects end in {@code .zz}) from the JDK alone, found
 * through {@code META-INF/services/io.walstash.core.codec.Codec} in this jar like any codec. Its
 * test runs the codec contract published in walstash-compression's test-jar.
 *
 * <p>zlib frames the deflate data with an Adler-32 of the plain bytes, so a changed or missing
 * byte fails the read; one stream per object, so data after the first stream's end is ignored.
 */
public final class ZlibCodec implements Codec {

    @Override
    public String name() {
        return "zlib";
    }

    @Override
    public String fileExtension() {
        return "zz";
    }

    @Override
    public OutputStream compress(OutputStream target) {
        Objects.requireNonNull(target, "target");
        // The deflater is owned here (not the stream's default one) so that close() can end it once.
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        return new FilterOutputStream(new DeflaterOutputStream(target, deflater, 64 * 1024)) {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ensureOpen();
                out.write(b, off, len);
            }

            @Override
            public void write(int b) throws IOException {
                ensureOpen();
                out.write(b);
            }

            private void ensureOpen() throws IOException {
                if (closed) {
                    throw new IOException("zlib stream closed");
                }
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    try {
                        super.close();
                    } finally {
                        deflater.end();
                    }
                }
            }

            @Override
            public String toString() {
                return "Zlib(" + target + ")";
            }
        };
    }

    @Override
    public InputStream decompress(InputStream compressed) throws IOException {
        Objects.requireNonNull(compressed, "compressed");
        PushbackInputStream source = new PushbackInputStream(compressed, 1);
        int first = source.read();
        if (first < 0) {
            source.close();
            throw new IOException("no zlib data: the input is empty");
        }
        source.unread(first);
        Inflater inflater = new Inflater();
        return new FilterInputStream(new InflaterInputStream(source, inflater, 64 * 1024)) {
            private boolean closed;

            @Override
            public int read() throws IOException {
                ensureOpen();
                return super.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                ensureOpen();
                return super.read(b, off, len);
            }

            private void ensureOpen() throws IOException {
                if (closed) {
                    throw new IOException("zlib stream closed");
                }
            }

            @Override
            public void close() throws IOException {
                if (!closed) {
                    closed = true;
                    try {
                        super.close();
                    } finally {
                        inflater.end();
                    }
                }
            }

            @Override
            public String toString() {
                return "Zlib(" + compressed + ")";
            }
        };
    }

    @Override
    public String toString() {
        return "zlib";
    }
}
