package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decodes objects that other implementations wrote (see {@code fixtures/README.md}); each holds
 * the same sample, whose SHA-256 and length are in {@code fixtures/sample.sha256}.
 */
class InteropFixturesTest {
    private static final Codecs CODECS = Codecs.of(TestCodecs.all());

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "sample.zst", "sample-nocheck.zst", "sample-multiframe.zst",
        "sample.lz4", "sample-dependent.lz4", "sample-blockchecksum.lz4", "sample-multiframe.lz4",
        "sample.gz", "sample-multimember.gz",
        "sample.xz", "sample-sha256.xz", "sample-multistream.xz",
        "sample.lzma", "sample-knownsize.lzma",
        "sample-stored.br"})
    void decodesWhatOtherImplementationsWrote(String fixture) throws Exception {
        String extension = fixture.substring(fixture.lastIndexOf('.') + 1);
        Codec codec = CODECS.byExtension(extension).orElseThrow();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        long length;

        try (InputStream in = new DigestInputStream(codec.decompress(open(fixture)), sha256)) {
            length = in.transferTo(OutputStream.nullOutputStream());
        }

        List<String> expected = expected();
        assertThat(HexFormat.of().formatHex(sha256.digest())).isEqualTo(expected.get(0));
        assertThat(length).isEqualTo(Long.parseLong(expected.get(1)));
    }

    /** The header WAL-G's lz4 writer (pierrec/lz4) puts on every frame: magic, FLG 0x64, BD 0x70. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = "sample.lz4")
    void theLz4FixtureHasTheFrameDescriptorOfWalG(String fixture) throws IOException {
        try (InputStream in = open(fixture)) {
            assertThat(HexFormat.of().formatHex(in.readNBytes(7))).isEqualTo("04224d186470b9");
        }
    }

    /** The header WAL-G's lzma writer (ulikunitz/xz) writes: lc=3 lp=0 pb=2, 8 MiB, size -1. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = "sample.lzma")
    void theLzmaFixtureHasTheHeaderOfWalG(String fixture) throws IOException {
        try (InputStream in = open(fixture)) {
            assertThat(HexFormat.of().formatHex(in.readNBytes(13))).isEqualTo("5d00008000ffffffffffffffff");
        }
    }

    private static InputStream open(String fixture) {
        InputStream in = InteropFixturesTest.class.getResourceAsStream("/fixtures/" + fixture);
        assertThat(in).as("fixture %s", fixture).isNotNull();
        return in;
    }

    private static List<String> expected() {
        try (InputStream in = open("sample.sha256")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
