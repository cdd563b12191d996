package io.walstash.core.codec;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/** A real (JDK deflate) codec for core's tests, which can't depend on the compression module. */
public final class DeflateTestCodec implements Codec {
    @Override
    public String name() {
        return "deflate-test";
    }

    @Override
    public String fileExtension() {
        return "dft";
    }

    @Override
    public OutputStream compress(OutputStream out) {
        return new DeflaterOutputStream(out);
    }

    @Override
    public InputStream decompress(InputStream in) {
        return new InflaterInputStream(in);
    }
}
