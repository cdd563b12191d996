package io.walstash.compression;

import io.walstash.core.codec.Codec;

class LzmaCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new LzmaCodec();
    }

    /** lzma (the .lzma "alone" format) has no checksum and no framing that joins streams. */
    @Override
    protected boolean checksummed() {
        return false;
    }

    @Override
    protected boolean concatenates() {
        return false;
    }
}
