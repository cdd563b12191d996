package io.walstash.core.codec;

import java.io.InputStream;
import java.io.OutputStream;

/** Stores plain bytes, so a test can damage the payload at an exact position or find its content. */
public final class RawTestCodec implements Codec {
    @Override
    public String name() {
        return "raw-test";
    }

    @Override
    public String fileExtension() {
        return "raw";
    }

    @Override
    public OutputStream compress(OutputStream out) {
        return out;
    }

    @Override
    public InputStream decompress(InputStream in) {
        return in;
    }
}
