package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.walstash.core.codec.Codec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@link Codec} contract, for every codec. */
class CodecContractTest {

    static Stream<Codec> all() {
        return TestCodecs.all().stream();
    }

    static Stream<Codec> compressing() {
        return TestCodecs.compressing().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void emptyInputRoundTrips(Codec codec) throws IOException {
        byte[] compressed = TestCodecs.compress(codec, new byte[0]);

        assertThat(TestCodecs.decompress(codec, compressed)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("compressing")
    void emptyInputStillWritesAValidStream(Codec codec) throws IOException {
        assertThat(TestCodecs.compress(codec, new byte[0])).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void closingTheCompressingStreamFinishesAndClosesTheTargetOnce(Codec codec) throws IOException {
        ClosingCounter target = new ClosingCounter();
        OutputStream out = codec.compress(target);
        out.write("some WAL".getBytes(StandardCharsets.UTF_8));
        assertThat(target.closes).isZero();

        out.close();
        out.close();

        assertThat(target.closes).isEqualTo(1);
        assertThat(TestCodecs.decompress(codec, target.toByteArray())).asString(StandardCharsets.UTF_8)
                .isEqualTo("some WAL");
        assertThatThrownBy(() -> out.write(1)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void closingTheDecompressingStreamClosesTheSource(Codec codec) throws IOException {
        byte[] compressed = TestCodecs.compress(codec, TestCodecs.mixed(10_000, 1));
        CountingSource read = new CountingSource(compressed);
        CountingSource unread = new CountingSource(compressed);

        InputStream readFully = codec.decompress(read);
        readFully.readAllBytes();
        readFully.close();
        readFully.close();
        InputStream closedEarly = codec.decompress(unread);
        closedEarly.close();

        assertThat(read.closes).isEqualTo(1);
        assertThat(unread.closes).isEqualTo(1);
        assertThatThrownBy(closedEarly::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void streamsShowTheChain(Codec codec) throws IOException {
        OutputStream target = new ByteArrayOutputStream() {
            @Override
            public String toString() {
                return "File(000000010000000000000001)";
            }
        };
        InputStream source = new ByteArrayInputStream(TestCodecs.compress(codec, new byte[0])) {
            @Override
            public String toString() {
                return "S3(000000010000000000000001)";
            }
        };
        String label = switch (codec.name()) {
            case "none" -> "Raw";
            case "xz" -> "Xz";
            default -> Character.toUpperCase(codec.name().charAt(0)) + codec.name().substring(1);
        };

        try (OutputStream out = codec.compress(target); InputStream in = codec.decompress(source)) {
            assertThat(out).hasToString(label + "(File(000000010000000000000001))");
            assertThat(in).hasToString(label + "(S3(000000010000000000000001))");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("compressing")
    void emptyInputIsNotAStream(Codec codec) {
        assertThatThrownBy(() -> TestCodecs.decompress(codec, new byte[0]))
                .isInstanceOf(IOException.class)
                .hasMessage("no " + codec.name() + " data: the input is empty");
    }

    /** Every prefix of a compressed stream fails; none decodes to silently shorter data. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("compressing")
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
    void truncatedInputFailsWithAnIOException(Codec codec) throws IOException {
        byte[] compressed = TestCodecs.compress(codec, TestCodecs.mixed(20_000, 2));

        for (int length : cuts(compressed.length)) {
            byte[] prefix = Arrays.copyOf(compressed, length);
            Throwable thrown = catchThrowable(() -> TestCodecs.decompress(codec, prefix));
            assertThat(thrown).as("%s cut to %d of %d bytes", codec.name(), length, compressed.length)
                    .isInstanceOf(IOException.class);
        }
    }

    /**
     * Any changed byte fails with an IOException (never a RuntimeException) or, where the format
     * checks its data, decodes to exactly the original; lzma and brotli have no checksum.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("compressing")
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
    void corruptInputFailsWithAnIOException(Codec codec) throws IOException {
        byte[] plain = TestCodecs.mixed(6_000, 3);
        byte[] compressed = TestCodecs.compress(codec, plain);

        for (int position : positions(compressed.length)) {
            for (int flip : new int[] {0x01, 0x80, 0xFF}) {
                byte[] corrupt = compressed.clone();
                corrupt[position] ^= (byte) flip;
                byte[] decoded = null;
                Throwable thrown = null;
                try {
                    decoded = TestCodecs.decompress(codec, corrupt);
                } catch (Throwable t) {
                    thrown = t;
                }
                String what = String.format("%s with byte %d of %d xor %02x", codec.name(), position,
                        compressed.length, flip);
                if (thrown != null) {
                    assertThat(thrown).as(what).isInstanceOf(IOException.class);
                } else if (TestCodecs.checksummed(codec)) {
                    assertThat(decoded).as(what).isEqualTo(plain);
                }
            }
        }
    }

    /** What {@code cat a.zst b.zst > ab.zst} gives; lzma and brotli streams cannot be concatenated. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("concatenating")
    void concatenatedStreamsDecodeAsOne(Codec codec) throws IOException {
        byte[] first = TestCodecs.mixed(70_000, 8);
        byte[] second = TestCodecs.mixed(50_000, 9);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(TestCodecs.compress(codec, first));
        both.write(TestCodecs.compress(codec, new byte[0]));
        both.write(TestCodecs.compress(codec, second));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(first);
        expected.write(second);

        assertThat(TestCodecs.decompress(codec, both.toByteArray())).isEqualTo(expected.toByteArray());
    }

    static Stream<Codec> concatenating() {
        return TestCodecs.all().stream().filter(c -> !(c instanceof LzmaCodec || c instanceof BrotliCodec));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("compressing")
    void dataInAnotherFormatFails(Codec codec) {
        byte[] text = "000000010000000000000001 is a WAL segment, not compressed data at all"
                .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> TestCodecs.decompress(codec, text)).isInstanceOf(IOException.class);
    }

    /** Every length below 4 KiB, else the first and last 300 and 400 spread between. */
    private static int[] cuts(int length) {
        if (length <= 4096) {
            return IntStream.range(0, length).toArray();
        }
        return IntStream.concat(IntStream.concat(IntStream.range(0, 300),
                IntStream.range(0, 400).map(i -> 300 + (int) ((long) i * (length - 600) / 400))),
                IntStream.range(length - 300, length)).distinct().toArray();
    }

    /** Every position below 2 KiB, else 2048 spread over the stream and its last 64. */
    private static int[] positions(int length) {
        if (length <= 2048) {
            return IntStream.range(0, length).toArray();
        }
        return IntStream.concat(IntStream.range(0, 2048).map(i -> (int) ((long) i * length / 2048)),
                IntStream.range(length - 64, length)).distinct().toArray();
    }

    private static final class ClosingCounter extends FilterOutputStream {
        int closes;

        ClosingCounter() {
            super(new ByteArrayOutputStream());
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            closes++;
            super.close();
        }

        byte[] toByteArray() {
            return ((ByteArrayOutputStream) out).toByteArray();
        }
    }

    private static final class CountingSource extends FilterInputStream {
        int closes;

        CountingSource(byte[] bytes) {
            super(new ByteArrayInputStream(bytes));
        }

        @Override
        public void close() throws IOException {
            closes++;
            super.close();
        }
    }
}
