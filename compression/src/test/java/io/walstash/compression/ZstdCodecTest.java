package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codec;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ZstdCodecTest {

    @Test
    void levelDefaultsToThreeAndIsChecked() {
        assertThat(new ZstdCodec().level()).isEqualTo(3);
        assertThat(new ZstdCodec(19)).hasToString("zstd(level 19)");
        assertThatThrownBy(() -> new ZstdCodec(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("zstd level must be 1..22, not 0");
        assertThatThrownBy(() -> new ZstdCodec(23)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void higherLevelsCompressMore() throws IOException {
        byte[] plain = TestCodecs.mixed(300_000, 7);

        int fast = TestCodecs.compress(new ZstdCodec(1), plain).length;
        int strong = TestCodecs.compress(new ZstdCodec(19), plain).length;

        assertThat(strong).isLessThan(fast);
        assertThat(TestCodecs.decompress(new ZstdCodec(), TestCodecs.compress(new ZstdCodec(19), plain)))
                .isEqualTo(plain);
    }

    /** What WAL look-ahead writes when segments pile up: level 1, the same format, read by the configured codec. */
    @Test
    void theFasterCodecIsLevelOneOfTheSameFormat() throws IOException {
        byte[] plain = TestCodecs.mixed(300_000, 11);
        ZstdCodec configured = new ZstdCodec();

        Codec faster = configured.faster();

        assertThat(faster).isInstanceOfSatisfying(ZstdCodec.class, z -> assertThat(z.level()).isEqualTo(1));
        assertThat(faster.name()).isEqualTo(configured.name());
        assertThat(faster.fileExtension()).isEqualTo(configured.fileExtension());
        assertThat(TestCodecs.decompress(configured, TestCodecs.compress(faster, plain))).isEqualTo(plain);
        assertThat(faster.faster()).isSameAs(faster);
    }

    /** The frame header's checksum flag (bit 2 of the descriptor) is set. */
    @Test
    void framesCarryAChecksum() throws IOException {
        byte[] compressed = TestCodecs.compress(new ZstdCodec(), "WAL".getBytes());

        assertThat(compressed[4] & 0x04).isEqualTo(0x04);
    }
}
