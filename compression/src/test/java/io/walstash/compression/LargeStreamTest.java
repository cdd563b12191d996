package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A whole 16 MiB WAL segment streams through every codec; only digests are kept. */
class LargeStreamTest {
    private static final long SEGMENT_SIZE = 16L * 1024 * 1024;

    @TempDir
    Path directory;

    static Stream<Codec> all() {
        return TestCodecs.all().stream();
    }

    /**
     * A segment switched after a few records (archive_timeout on an idle server) is zeros after
     * its first page; such tiny objects expand beyond every window when decoded.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void anIdleSegmentRoundTrips(Codec codec) throws IOException, NoSuchAlgorithmException {
        Path stored = directory.resolve("000000010000000000000002." + codec.fileExtension());
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        MessageDigest read = MessageDigest.getInstance("SHA-256");

        try (InputStream segment = new DigestInputStream(new SequenceInputStream(
                        new WalLikeInputStream(WalLikeInputStream.PAGE_SIZE, 2),
                        new ZerosInputStream(SEGMENT_SIZE - WalLikeInputStream.PAGE_SIZE)), written);
                OutputStream out = codec.compress(Files.newOutputStream(stored))) {
            segment.transferTo(out);
        }
        long length;
        try (InputStream in = new DigestInputStream(codec.decompress(Files.newInputStream(stored)), read)) {
            length = in.transferTo(OutputStream.nullOutputStream());
        }

        assertThat(length).isEqualTo(SEGMENT_SIZE);
        assertThat(read.digest()).isEqualTo(written.digest());
        if (!(codec instanceof NoneCodec)) {
            assertThat(Files.size(stored)).as("compressed size").isLessThan(SEGMENT_SIZE / 100);
        }
    }

    /** {@code size} zero bytes. */
    private static final class ZerosInputStream extends InputStream {
        private long left;

        ZerosInputStream(long size) {
            left = size;
        }

        @Override
        public int read() {
            return read(new byte[1], 0, 1) < 0 ? -1 : 0;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) 0);
            left -= n;
            return n;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void aSegmentRoundTrips(Codec codec) throws IOException, NoSuchAlgorithmException {
        Path stored = directory.resolve("000000010000000000000001." + codec.fileExtension());
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        MessageDigest read = MessageDigest.getInstance("SHA-256");

        try (InputStream segment = new DigestInputStream(new WalLikeInputStream(SEGMENT_SIZE, 16), written);
                OutputStream out = codec.compress(Files.newOutputStream(stored))) {
            segment.transferTo(out);
        }
        long length;
        try (InputStream in = new DigestInputStream(codec.decompress(Files.newInputStream(stored)), read)) {
            length = in.transferTo(OutputStream.nullOutputStream());
        }

        assertThat(length).isEqualTo(SEGMENT_SIZE);
        assertThat(read.digest()).isEqualTo(written.digest());
        if (!(codec instanceof NoneCodec)) {
            // a quarter of the pages are random, the rest compress well
            assertThat(Files.size(stored)).as("compressed size").isLessThan(SEGMENT_SIZE / 2);
        }
    }
}
