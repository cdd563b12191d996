package io.walstash.compression;

import io.walstash.core.codec.Codec;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.tukaani.xz.BasicArrayCache;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAInputStream;
import org.tukaani.xz.LZMAOutputStream;

/**
 * LZMA ({@code lzma}, objects end in {@code .lzma}) in the legacy ".lzma" (LZMA alone) format that
 * WAL-G's {@code lzma} method writes, through XZ for Java.
 *
 * <p>WAL-G writes with Go's ulikunitz/xz {@code lzma.Writer}: the 13-byte header holds the
 * properties lc=3 lp=0 pb=2 (byte {@code 0x5D}), an 8 MiB dictionary and the size -1 (unknown),
 * and the data ends with an end marker. This codec writes the same layout, with the dictionary
 * of preset {@value #PRESET} (4 MiB, fast mode, as for {@link XzCodec}), and reads any .lzma
 * file: unknown or known size, with or without end marker.
 *
 * <p>The format has no checksum: a corrupt object may decode to wrong bytes without an error
 * (truncation is always detected). walstash's own checksum of the plain bytes catches that.
 * Decoders that would need more than {@value Streams#LZMA_MEMORY_LIMIT_KIB} KiB are refused with
 * an {@link IOException}. Instances are immutable and thread-safe.
 */
public final class LzmaCodec implements Codec {
    /** The preset, 0 (fastest) to 9; sets the dictionary and match finder. */
    public static final int PRESET = 3;

    /** Uncompressed size in the header: unknown, so the data ends with an end marker. */
    private static final long UNKNOWN_SIZE = -1;

    public LzmaCodec() {
    }

    @Override
    public String name() {
        return "lzma";
    }

    @Override
    public String fileExtension() {
        return "lzma";
    }

    @Override
    public OutputStream compress(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        try {
            return new EncoderStream("Lzma", out, XzForJava.encoder(out));
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start lzma compression", e);
        }
    }

    @Override
    public InputStream decompress(InputStream in) throws IOException {
        InputStream source = Streams.nonEmpty(in, "lzma");
        try {
            return new DecoderStream("Lzma", in, XzForJava.decoder(source));
        } catch (RuntimeException e) {
            throw Streams.failure("corrupt lzma data", e);
        }
    }

    @Override
    public String toString() {
        return "lzma(preset " + PRESET + ")";
    }

    /** The only code that names XZ for Java's classes (see ZstdCodec). */
    private static final class XzForJava {
        static OutputStream encoder(OutputStream out) throws IOException {
            // the range encoder writes byte by byte: buffer before out
            return new LZMAOutputStream(new BufferedOutputStream(out, Streams.BUFFER_SIZE),
                    new LZMA2Options(PRESET), UNKNOWN_SIZE, BasicArrayCache.getInstance());
        }

        static InputStream decoder(InputStream source) throws IOException {
            return new LZMAInputStream(source, Streams.LZMA_MEMORY_LIMIT_KIB, BasicArrayCache.getInstance());
        }
    }
}
