package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** The frame header's checksum flag (bit 2 of the descriptor) is set. */
    @Test
    void framesCarryAChecksum() throws IOException {
        byte[] compressed = TestCodecs.compress(new ZstdCodec(), "WAL".getBytes());

        assertThat(compressed[4] & 0x04).isEqualTo(0x04);
    }
}
