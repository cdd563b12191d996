package io.walstash.compression;

import io.walstash.core.codec.Codec;

class Lz4CodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new Lz4Codec();
    }
}
