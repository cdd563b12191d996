package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

class BrotliCodecTest {
    private static final String PLATFORM =
            System.getProperty("os.name") + "/" + System.getProperty("os.arch");

    /** What Brotli4jLoader.ensureAvailability() throws where brotli4j ships no library. */
    private static final BrotliCodec WITHOUT_NATIVE_LIBRARY = new BrotliCodec(() -> {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError("Failed to load Brotli native library");
        error.initCause(new UnsatisfiedLinkError("Failed to find valid Brotli native library in classpath."));
        throw error;
    });

    @Test
    void aMissingNativeLibraryFailsNamingThePlatform() {
        String expected = "brotli is not available on this platform (" + PLATFORM + "): brotli4j could"
                + " not load its native library: java.lang.UnsatisfiedLinkError: Failed to find valid"
                + " Brotli native library in classpath.";

        assertThatThrownBy(() -> WITHOUT_NATIVE_LIBRARY.compress(new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class).hasMessage(expected)
                .hasCauseInstanceOf(UnsatisfiedLinkError.class);
        assertThatThrownBy(() -> WITHOUT_NATIVE_LIBRARY.decompress(new ByteArrayInputStream(new byte[] {6})))
                .isInstanceOf(IOException.class).hasMessage(expected);
    }

    /** The smallest brotli stream: a 16-bit window and an empty last meta-block. */
    @Test
    void decodesTheEmptyStreamOfRfc7932() throws IOException {
        assertThat(TestCodecs.decompress(new BrotliCodec(), new byte[] {6})).isEmpty();
    }

    /**
     * WAL-G writes brotli with cbrotli's default 4 MiB window; an idle segment then expands to
     * 16 MiB from a few bytes. brotli4j's own BrotliInputStream reports such streams as truncated,
     * which is why BrotliCodec decodes with BrotliDecoderStream. Should this test start failing
     * because brotli4j fixed BrotliInputStream, the workaround can go.
     */
    @Test
    void decodesStreamsThatExpandBeyondTheWindowWhereBrotli4jDoesNot() throws IOException {
        Brotli4jLoader.ensureAvailability();
        byte[] zeros = new byte[6 * 1024 * 1024];
        byte[] compressed = Encoder.compress(zeros, new Encoder.Parameters().setQuality(3).setWindow(22));

        assertThat(TestCodecs.decompress(new BrotliCodec(), compressed)).isEqualTo(zeros);
        assertThatThrownBy(() -> {
            try (InputStream in = new BrotliInputStream(new ByteArrayInputStream(compressed))) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class).hasMessage("unexpected end of input");
    }

    @Test
    void writesAtTheChosenQuality() throws IOException {
        byte[] plain = TestCodecs.mixed(200_000, 4);
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        try (OutputStream out = new BrotliCodec().compress(ours)) {
            out.write(plain);
        }
        Brotli4jLoader.ensureAvailability();

        byte[] reference = Encoder.compress(plain,
                new Encoder.Parameters().setQuality(BrotliCodec.QUALITY).setWindow(22));

        assertThat(ours.toByteArray()).isEqualTo(reference);
    }
}
