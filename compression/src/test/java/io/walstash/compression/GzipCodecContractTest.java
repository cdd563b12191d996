package io.walstash.compression;

import io.walstash.core.codec.Codec;

class GzipCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new GzipCodec();
    }
}
