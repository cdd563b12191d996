package io.walstash.compression;

import io.walstash.core.codec.Codec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.tukaani.xz.BasicArrayCache;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * xz ({@code xz}, objects end in {@code .xz}) through XZ for Java: LZMA2 with a CRC64 check.
 *
 * <p>Preset {@value #PRESET}: LZMA2's fast mode with a 4 MiB dictionary, 31 MiB of memory to
 * compress and 4 MiB to decompress, about 13 MB/s on one core here. The default preset 6 (normal
 * mode, 8 MiB dictionary, 95 MiB) compresses about six times slower, 2 MB/s, for output about 2%
 * smaller on WAL-like test data: too slow for an {@code archive_command} that has to keep up
 * with a busy server. Encoder buffers are reused between streams through XZ for Java's
 * {@link BasicArrayCache}.
 *
 * <p>Reads concatenated streams and every check type; refuses, with an {@link IOException},
 * streams that would need more than {@value Streams#LZMA_MEMORY_LIMIT_KIB} KiB of memory, so a
 * corrupt header cannot exhaust the heap. Instances are immutable and thread-safe.
 */
public final class XzCodec implements Codec {
    /** The LZMA2 preset, 0 (fastest) to 9. */
    public static final int PRESET = 3;

    public XzCodec() {
    }

    @Override
    public String name() {
        return "xz";
    }

    @Override
    public String fileExtension() {
        return "xz";
    }

    @Override
    public OutputStream compress(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        try {
            return new EncoderStream("Xz", out, XzForJava.encoder(out));
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start xz compression", e);
        }
    }

    @Override
    public InputStream decompress(InputStream in) throws IOException {
        InputStream source = Streams.nonEmpty(in, "xz");
        try {
            return new DecoderStream("Xz", in, XzForJava.decoder(source));
        } catch (RuntimeException e) {
            throw Streams.failure("corrupt xz data", e);
        }
    }

    @Override
    public String toString() {
        return "xz(preset " + PRESET + ")";
    }

    /** The only code that names XZ for Java's classes (see ZstdCodec). */
    private static final class XzForJava {
        static OutputStream encoder(OutputStream out) throws IOException {
            return new XZOutputStream(new BufferedOutputStream(out, Streams.BUFFER_SIZE),
                    new LZMA2Options(PRESET), XZ.CHECK_CRC64, BasicArrayCache.getInstance());
        }

        static InputStream decoder(InputStream source) throws IOException {
            return new XZInputStream(source, Streams.LZMA_MEMORY_LIMIT_KIB, true,
                    BasicArrayCache.getInstance());
        }
    }
}
