package io.walstash.compression;

import io.walstash.core.codec.Codec;

class BrotliCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new BrotliCodec();
    }

    /** brotli has no checksum of the data and a stream ends its input. */
    @Override
    protected boolean checksummed() {
        return false;
    }

    @Override
    protected boolean concatenates() {
        return false;
    }
}
