package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HexFormat;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.junit.jupiter.api.Test;

class Lz4CodecTest {
    private final Lz4Codec codec = new Lz4Codec();

    /** FLG 0x64: version 1, independent blocks, content checksum; BD 0x60: 1 MiB blocks. */
    @Test
    void writesIndependentOneMebibyteBlocksWithAContentChecksum() throws IOException {
        byte[] compressed = TestCodecs.compress(codec, new byte[0]);

        assertThat(HexFormat.of().formatHex(compressed, 0, 6)).isEqualTo("04224d186460");
    }

    /**
     * Why dependent blocks go to Commons Compress; and lz4-java says so with a RuntimeException,
     * which DecoderStream turns into an IOException should a later frame of an object have
     * dependent blocks.
     */
    @Test
    void lz4JavaAloneRefusesDependentBlocks() throws IOException {
        byte[] dependent = fixture("sample-dependent.lz4");

        assertThatThrownBy(() -> {
            try (InputStream in = new LZ4FrameInputStream(new ByteArrayInputStream(dependent))) {
                in.readAllBytes();
            }
        }).hasMessageContaining("Dependent block stream is unsupported");
    }

    @Test
    void aDependentFrameAfterAnIndependentOneFailsWithAnIOException() throws IOException {
        byte[] independent = TestCodecs.compress(codec, "WAL".getBytes());
        byte[] dependent = fixture("sample-dependent.lz4");
        byte[] both = Arrays.copyOf(independent, independent.length + dependent.length);
        System.arraycopy(dependent, 0, both, independent.length, dependent.length);

        assertThatThrownBy(() -> TestCodecs.decompress(codec, both)).isInstanceOf(IOException.class)
                .hasMessageContaining("corrupt Lz4 data");
    }

    @Test
    void truncatedOrCorruptDependentBlocksFail() throws IOException {
        byte[] dependent = fixture("sample-dependent.lz4");
        byte[] plain = TestCodecs.decompress(codec, dependent);

        for (int length = 0; length < dependent.length; length += length < 200 ? 1 : 97) {
            byte[] prefix = Arrays.copyOf(dependent, length);
            assertThat(catchThrowable(() -> TestCodecs.decompress(codec, prefix)))
                    .as("cut to %d bytes", length).isInstanceOf(IOException.class);
        }
        for (int position = 0; position < dependent.length; position += position < 100 ? 1 : 61) {
            byte[] corrupt = dependent.clone();
            corrupt[position] ^= 0x10;
            try {
                assertThat(TestCodecs.decompress(codec, corrupt)).as("byte %d changed", position)
                        .isEqualTo(plain);
            } catch (IOException expected) {
                // the content checksum or the framing noticed
            }
        }
    }

    @Test
    void theLegacyFormatIsRefusedByName() {
        byte[] legacy = HexFormat.of().parseHex("02214c18" + "00000000");

        assertThatThrownBy(() -> TestCodecs.decompress(codec, legacy)).isInstanceOf(IOException.class)
                .hasMessage("the legacy lz4 format (lz4 -l) is not supported; only the lz4 frame format is");
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = Lz4CodecTest.class.getResourceAsStream("/fixtures/" + name)) {
            return in.readAllBytes();
        }
    }
}
