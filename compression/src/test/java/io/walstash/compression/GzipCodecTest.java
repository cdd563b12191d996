package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipCodecTest {
    private final GzipCodec codec = new GzipCodec();

    /**
     * A network stream may report nothing available exactly at a member boundary; the JDK's
     * GZIPInputStream (Java 17) then stops after the first member without an error.
     */
    @Test
    void readsEveryMemberOfAStreamThatReportsNothingAvailable() throws IOException {
        Random random = new Random(5);
        List<InputStream> pieces = new ArrayList<>();
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            byte[] member = new byte[100_000];
            random.nextBytes(member);
            plain.write(member);
            pieces.add(new ByteArrayInputStream(gzip(member)) {
                @Override
                public synchronized int available() {
                    return 0;
                }
            });
        }

        try (InputStream in = codec.decompress(new SequenceInputStream(Collections.enumeration(pieces)))) {
            assertThat(in.readAllBytes()).isEqualTo(plain.toByteArray());
        }
    }

    @Test
    void garbageAfterAMemberFails() throws IOException {
        byte[] member = gzip("WAL".getBytes());
        byte[] withGarbage = Arrays.copyOf(member, member.length + 8);

        assertThatThrownBy(() -> TestCodecs.decompress(codec, withGarbage)).isInstanceOf(IOException.class);
    }

    /** The JDK's GZIPInputStream ends silently here, with the first member only. */
    @Test
    void aTruncatedSecondMemberHeaderFails() throws IOException {
        byte[] first = gzip("first".getBytes());
        byte[] second = gzip("second".getBytes());
        byte[] truncated = Arrays.copyOf(first, first.length + 5);
        System.arraycopy(second, 0, truncated, first.length, 5);

        assertThatThrownBy(() -> TestCodecs.decompress(codec, truncated)).isInstanceOf(IOException.class);
    }

    private static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(compressed)) {
            out.write(plain);
        }
        return compressed.toByteArray();
    }
}
