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
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * What every {@link Codec} promises, written once and run against each codec; published in this
 * module's test-jar so that a third-party codec runs the same contract.
 *
 * <p>A codec's test extends this class and implements {@link #codec()}. Where a format
 * legitimately differs it overrides a capability method ({@link #detectsDamage()}, {@link
 * #checksummed()}, {@link #concatenates()}); the test then asserts the documented alternative
 * instead of being skipped.
 */
public abstract class CodecContractTest {

    /** The codec under test. */
    protected abstract Codec codec();

    /**
     * Whether the format notices an empty, cut or foreign input; false only for a pass-through
     * such as {@code none}, whose decoder then must hand back exactly the bytes it was given.
     */
    protected boolean detectsDamage() {
        return true;
    }

    /** Whether the format carries a checksum of the data, so a changed byte cannot decode to other data. */
    protected boolean checksummed() {
        return true;
    }

    /** Whether {@code cat a b} of two streams decodes as the two inputs in turn (as zstd, gzip, lz4 and xz do). */
    protected boolean concatenates() {
        return true;
    }

    /** What the codec's streams show around the stream they wrap, as in {@code Zstd(File)}. */
    protected String streamLabel() {
        String name = codec().name();
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    @Test
    public void nameAndExtensionAreWellFormed() {
        Codec codec = codec();

        assertThat(codec.name()).isNotBlank().isEqualTo(codec.name().toLowerCase(Locale.ROOT));
        assertThat(codec.fileExtension()).isNotBlank().doesNotContain(".").doesNotContain("/");
    }

    @Test
    public void dataRoundTrips() throws IOException {
        byte[] plain = TestCodecs.mixed(300_000, 11);

        assertThat(TestCodecs.decompress(codec(), TestCodecs.compress(codec(), plain))).isEqualTo(plain);
    }

    /** A caller's own buffered stream is read through as it is (even a tiny buffer), and an empty one is still refused. */
    @Test
    public void aStreamTheCallerAlreadyBufferedDecodesTheSame() throws IOException {
        byte[] plain = TestCodecs.mixed(300_000, 12);
        byte[] compressed = TestCodecs.compress(codec(), plain);

        try (InputStream in = codec().decompress(new java.io.BufferedInputStream(new ByteArrayInputStream(compressed), 3))) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
        }
        if (detectsDamage()) {
            assertThatThrownBy(() -> codec().decompress(new java.io.BufferedInputStream(new ByteArrayInputStream(new byte[0]))))
                    .isInstanceOf(IOException.class)
                    .hasMessage("no " + codec().name() + " data: the input is empty");
        }
    }

    @Test
    public void emptyInputRoundTrips() throws IOException {
        byte[] compressed = TestCodecs.compress(codec(), new byte[0]);

        assertThat(TestCodecs.decompress(codec(), compressed)).isEmpty();
    }

    @Test
    public void emptyInputStillWritesAValidStream() throws IOException {
        byte[] compressed = TestCodecs.compress(codec(), new byte[0]);

        if (detectsDamage()) {
            assertThat(compressed).isNotEmpty();
        } else {
            assertThat(compressed).as("a pass-through writes nothing for nothing").isEmpty();
        }
    }

    @Test
    public void closingTheCompressingStreamFinishesAndClosesTheTargetOnce() throws IOException {
        Codec codec = codec();
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

    @Test
    public void closingTheDecompressingStreamClosesTheSource() throws IOException {
        Codec codec = codec();
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

    @Test
    public void streamsShowTheChain() throws IOException {
        Codec codec = codec();
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

        try (OutputStream out = codec.compress(target); InputStream in = codec.decompress(source)) {
            assertThat(out).hasToString(streamLabel() + "(File(000000010000000000000001))");
            assertThat(in).hasToString(streamLabel() + "(S3(000000010000000000000001))");
        }
    }

    @Test
    public void emptyInputIsNotAStream() throws IOException {
        Codec codec = codec();
        if (detectsDamage()) {
            assertThatThrownBy(() -> TestCodecs.decompress(codec, new byte[0]))
                    .isInstanceOf(IOException.class)
                    .hasMessage("no " + codec.name() + " data: the input is empty");
        } else {
            assertThat(TestCodecs.decompress(codec, new byte[0])).isEmpty();
        }
    }

    /** Every prefix of a compressed stream fails; none decodes to silently shorter data. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
    public void truncatedInputFailsWithAnIOException() throws IOException {
        Codec codec = codec();
        byte[] compressed = TestCodecs.compress(codec, TestCodecs.mixed(20_000, 2));

        for (int length : cuts(compressed.length)) {
            byte[] prefix = Arrays.copyOf(compressed, length);
            String what = String.format("%s cut to %d of %d bytes", codec.name(), length, compressed.length);
            if (detectsDamage()) {
                Throwable thrown = catchThrowable(() -> TestCodecs.decompress(codec, prefix));
                assertThat(thrown).as(what).isInstanceOf(IOException.class);
            } else {
                // A pass-through cannot tell: the object header's length and digest must catch this.
                assertThat(TestCodecs.decompress(codec, prefix)).as(what).isEqualTo(prefix);
            }
        }
    }

    /**
     * Any changed byte fails with an IOException (never a RuntimeException) or, where the format
     * checks its data, decodes to exactly the original.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
    public void corruptInputFailsWithAnIOException() throws IOException {
        Codec codec = codec();
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
                } else if (!detectsDamage()) {
                    assertThat(decoded).as(what).isEqualTo(corrupt);
                } else if (checksummed()) {
                    assertThat(decoded).as(what).isEqualTo(plain);
                }
            }
        }
    }

    /**
     * What {@code cat a.zst b.zst > ab.zst} gives. A format that cannot be concatenated must not
     * hand back a silent mixture: it fails or stops after the first stream (walstash stores one
     * stream per object, and the object header's digest catches a short result).
     */
    @Test
    public void concatenatedStreamsDecodeAsOne() throws IOException {
        Codec codec = codec();
        byte[] first = TestCodecs.mixed(70_000, 8);
        byte[] second = TestCodecs.mixed(50_000, 9);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        both.write(TestCodecs.compress(codec, first));
        both.write(TestCodecs.compress(codec, new byte[0]));
        both.write(TestCodecs.compress(codec, second));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(first);
        expected.write(second);

        if (concatenates()) {
            assertThat(TestCodecs.decompress(codec, both.toByteArray())).isEqualTo(expected.toByteArray());
        } else {
            byte[] decoded = null;
            Throwable thrown = null;
            try {
                decoded = TestCodecs.decompress(codec, both.toByteArray());
            } catch (Throwable t) {
                thrown = t;
            }
            if (thrown != null) {
                assertThat(thrown).isInstanceOf(IOException.class);
            } else {
                assertThat(decoded).isEqualTo(first);
            }
        }
    }

    @Test
    public void dataInAnotherFormatFails() throws IOException {
        Codec codec = codec();
        byte[] text = "000000010000000000000001 is a WAL segment, not compressed data at all"
                .getBytes(StandardCharsets.UTF_8);

        if (detectsDamage()) {
            assertThatThrownBy(() -> TestCodecs.decompress(codec, text)).isInstanceOf(IOException.class);
        } else {
            assertThat(TestCodecs.decompress(codec, text)).isEqualTo(text);
        }
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
