package io.walstash.compression;

import io.walstash.core.codec.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * gzip ({@code gzip}, objects end in {@code .gz}) at zlib's default level 6, written with the
 * JDK's {@link GZIPOutputStream}.
 *
 * <p>Read with Commons Compress rather than the JDK's {@code GZIPInputStream}: in Java 17 the
 * JDK class decides whether another member follows from {@code available()}, so on a network
 * stream that reports 0 at a member boundary it silently stops after the first member
 * (JDK-7036144), and it also ends silently at a truncated member header or at trailing garbage.
 * Commons Compress reads every member and fails with an {@link IOException} on both. Instances
 * are immutable and thread-safe.
 */
public final class GzipCodec implements Codec {

    public GzipCodec() {
    }

    @Override
    public String name() {
        return "gzip";
    }

    @Override
    public String fileExtension() {
        return "gz";
    }

    @Override
    public OutputStream compress(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        return new EncoderStream("Gzip", out, new GZIPOutputStream(out, Streams.BUFFER_SIZE));
    }

    @Override
    public InputStream decompress(InputStream in) throws IOException {
        InputStream source = Streams.nonEmpty(in, "gzip");
        try {
            return new DecoderStream("Gzip", in, CommonsCompress.decoder(source));
        } catch (RuntimeException e) {
            throw Streams.failure("corrupt gzip data", e);
        }
    }

    @Override
    public String toString() {
        return "gzip";
    }

    /** The only code that names Commons Compress's classes (see ZstdCodec). */
    private static final class CommonsCompress {
        static InputStream decoder(InputStream source) throws IOException {
            return GzipCompressorInputStream.builder().setInputStream(source).setDecompressConcatenated(true)
                    .get();
        }
    }
}
