package io.walstash.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class CompressingInputStreamTest {
    private final Codec codec = new DeflateTestCodec();

    @Property(tries = 200)
    void compressedStreamDecodesToTheSource(@ForAll @Size(max = 600_000) byte[] source, @ForAll boolean byteWise) throws IOException {
        byte[] compressed;
        try (InputStream in = new CompressingInputStream(new ByteArrayInputStream(source), codec)) {
            compressed = byteWise ? readByteWise(in) : in.readAllBytes();
        }
        try (InputStream plain = codec.decompress(new ByteArrayInputStream(compressed))) {
            assertThat(plain.readAllBytes()).isEqualTo(source);
        }
    }

    @Test
    void aFailingSourceFailsTheRead() {
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk gone");
            }
        };
        assertThatThrownBy(() -> {
            try (InputStream in = new CompressingInputStream(failing, codec)) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class).hasMessage("disk gone");
    }

    @Test
    void showsTheChain() throws IOException {
        try (InputStream in = new CompressingInputStream(new ByteArrayInputStream(new byte[0]), codec)) {
            assertThat(in.toString()).startsWith("deflate-test(");
        }
    }

    private static byte[] readByteWise(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            out.write(b);
        }
        return out.toByteArray();
    }
}
