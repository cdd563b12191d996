package io.walstash.compression;

import io.walstash.core.codec.Codec;

class XzCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new XzCodec();
    }

    @Override
    protected String streamLabel() {
        return "Xz";
    }
}
