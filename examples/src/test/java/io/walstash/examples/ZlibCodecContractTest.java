package io.walstash.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.compression.CodecContractTest;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.examples.plugin.ZlibCodec;
import org.junit.jupiter.api.Test;

/** What a codec author does: run compression's codec contract against the codec, found by its name. */
class ZlibCodecContractTest extends CodecContractTest {
    @Override
    protected Codec codec() {
        return new ZlibCodec();
    }

    /** One zlib stream per object: what follows the first stream's end is not read. */
    @Override
    protected boolean concatenates() {
        return false;
    }

    @Test
    void isFoundByItsName() {
        assertThat(Codecs.installed().byName("zlib")).isInstanceOf(ZlibCodec.class);
        assertThat(Codecs.installed().byExtension("zz")).containsInstanceOf(ZlibCodec.class);
    }
}
