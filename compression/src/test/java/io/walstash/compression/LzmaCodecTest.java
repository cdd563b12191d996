package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.LZMAOutputStream;

class LzmaCodecTest {
    private final LzmaCodec codec = new LzmaCodec();

    /**
     * The header WAL-G's reader (ulikunitz/xz lzma.NewReader) expects: properties lc=3 lp=0 pb=2,
     * a dictionary of at least 4 KiB (here 4 MiB), size unknown (-1, so an end marker follows).
     */
    @Test
    void writesTheLegacyHeaderWithUnknownSize() throws IOException {
        byte[] compressed = TestCodecs.compress(codec, "WAL".getBytes());

        assertThat(HexFormat.of().formatHex(compressed, 0, 13)).isEqualTo("5d00004000ffffffffffffffff");
    }

    /** Files with a known size and no end marker, as the LZMA SDK writes by default. */
    @Test
    void readsAKnownSizeWithoutEndMarker() throws IOException {
        byte[] plain = TestCodecs.mixed(30_000, 6);
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = new LZMAOutputStream(compressed, new LZMA2Options(1), plain.length)) {
            out.write(plain);
        }
        byte[] bytes = compressed.toByteArray();

        assertThat(TestCodecs.decompress(codec, bytes)).isEqualTo(plain);
        assertThatThrownBy(() -> TestCodecs.decompress(codec, Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IOException.class);
    }

    /** A corrupt header must not make the decoder take gigabytes. */
    @Test
    void refusesAHugeDictionary() throws IOException {
        byte[] compressed = TestCodecs.compress(codec, "WAL".getBytes());
        compressed[4] = (byte) 0x20; // dictionary 512 MiB

        assertThatThrownBy(() -> TestCodecs.decompress(codec, compressed)).isInstanceOf(IOException.class)
                .hasMessageContaining("limit was 262144 KiB");
    }
}
