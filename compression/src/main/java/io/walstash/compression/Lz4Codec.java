package io.walstash.compression;

import io.walstash.core.codec.Codec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import net.jpountz.lz4.LZ4FrameOutputStream.BLOCKSIZE;
import net.jpountz.lz4.LZ4FrameOutputStream.FLG;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;

/**
 * LZ4 ({@code lz4}, objects end in {@code .lz4}) in the LZ4 <em>frame</em> format, the format of
 * the {@code lz4} tool and of WAL-G (Go's pierrec/lz4, which writes independent 4 MiB blocks
 * and a content checksum).
 *
 * <p>Writes independent 1 MiB blocks with a content checksum through lz4-java's fast compressor.
 * 1 MiB instead of the tool's 4 MiB keeps two buffers of 1 MiB per stream rather than 4 MiB;
 * the ratio hardly changes because LZ4 only looks 64 KiB back anyway.
 *
 * <p>Reads concatenated and skippable frames, with or without block and content checksums and
 * content size, any block size. Objects whose first frame has dependent blocks ({@code lz4 -BD}),
 * which lz4-java refuses, are read with Commons Compress instead: slower, but they decode (a
 * dependent frame after an independent one fails with an {@link IOException}). The legacy format
 * ({@code lz4 -l}) and frames with a dictionary ID are refused with an {@link IOException}.
 * Instances are immutable and thread-safe.
 */
public final class Lz4Codec implements Codec {
    private static final int FRAME_MAGIC = 0x184D2204;
    private static final int LEGACY_MAGIC = 0x184C2102;
    private static final int FLG_BLOCK_INDEPENDENCE = 0x20;

    public Lz4Codec() {
    }

    @Override
    public String name() {
        return "lz4";
    }

    @Override
    public String fileExtension() {
        return "lz4";
    }

    @Override
    public OutputStream compress(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        try {
            return new EncoderStream("Lz4", out, Libraries.encoder(out));
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start lz4 compression", e);
        }
    }

    @Override
    public InputStream decompress(InputStream in) throws IOException {
        BufferedInputStream source = Streams.nonEmpty(in, "lz4");
        source.mark(5);
        byte[] head = source.readNBytes(5);
        source.reset();
        int magic = head.length < 4 ? 0 : ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (magic == LEGACY_MAGIC) {
            throw new IOException(
                    "the legacy lz4 format (lz4 -l) is not supported; only the lz4 frame format is");
        }
        try {
            if (magic == FRAME_MAGIC && head.length == 5 && (head[4] & FLG_BLOCK_INDEPENDENCE) == 0) {
                // lz4-java refuses dependent blocks; Commons Compress keeps the 64 KiB window they need
                return new DecoderStream("Lz4", in, Libraries.dependentBlocksDecoder(source));
            }
            return new DecoderStream("Lz4", in, Libraries.decoder(source));
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start lz4 decompression", e);
        }
    }

    @Override
    public String toString() {
        return "lz4";
    }

    /** The only code that names lz4-java's and Commons Compress's classes (see ZstdCodec). */
    private static final class Libraries {
        static OutputStream encoder(OutputStream out) throws IOException {
            return new LZ4FrameOutputStream(out, BLOCKSIZE.SIZE_1MB, FLG.Bits.BLOCK_INDEPENDENCE,
                    FLG.Bits.CONTENT_CHECKSUM);
        }

        static InputStream decoder(InputStream source) throws IOException {
            return new LZ4FrameInputStream(source);
        }

        static InputStream dependentBlocksDecoder(InputStream source) throws IOException {
            return new FramedLZ4CompressorInputStream(source, true);
        }
    }
}
