package io.walstash.compression;

import io.walstash.core.codec.Codec;

class ZstdCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new ZstdCodec();
    }
}
