package io.walstash.compression;

import io.walstash.core.codec.Codec;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * No compression ({@code none}, objects end in {@code .raw}): bytes pass through unchanged. A
 * truncated object cannot be told from a short one here; the checksum of the plain bytes that
 * walstash stores beside every object catches it.
 */
public final class NoneCodec implements Codec {

    public NoneCodec() {
    }

    @Override
    public String name() {
        return "none";
    }

    @Override
    public String fileExtension() {
        return "raw";
    }

    @Override
    public OutputStream compress(OutputStream out) {
        Objects.requireNonNull(out, "out");
        return new EncoderStream("Raw", out, out);
    }

    @Override
    public InputStream decompress(InputStream in) {
        Objects.requireNonNull(in, "in");
        return new DecoderStream("Raw", in, in);
    }

    @Override
    public String toString() {
        return "none";
    }
}
