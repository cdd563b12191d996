package io.walstash.compression;

import io.walstash.core.codec.Codec;

class NoneCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new NoneCodec();
    }

    /** A pass-through: the object header's length and SHA-256 are what notice damage. */
    @Override
    protected boolean detectsDamage() {
        return false;
    }

    @Override
    protected boolean checksummed() {
        return false;
    }

    @Override
    protected String streamLabel() {
        return "Raw";
    }
}
