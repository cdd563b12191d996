package io.walstash.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * walstash's segment streams write exactly Tink's streaming ciphertext and read it: each side
 * reads what the other writes, for sizes on and around the segment boundaries and any chunking of
 * the writes and reads; a cut or a flipped byte fails; reused buffers never carry one stream's
 * bytes into another.
 */
class SegmentStreamsPropertiesTest {
    private static final byte[] ASSOCIATED = "backups/base_000000010000000000000002/files/base/1/16384"
            .getBytes(StandardCharsets.UTF_8);
    private static final AesGcmHkdfStreaming AEAD = ObjectCipher.streaming(bytes(32, 7));
    private static final int FIRST = AEAD.getPlaintextSegmentSize() - AEAD.getCiphertextOffset();
    private static final int NEXT = AEAD.getPlaintextSegmentSize();

    @Property(tries = 40)
    void tinkReadsWhatTheseStreamsWrite(@ForAll("sizes") int size, @ForAll("chunks") int chunk, @ForAll long seed)
            throws Exception {
        byte[] plain = bytes(size, seed);
        byte[] stored = encryptWithSegmentStreams(plain, chunk);
        assertThat((long) stored.length).isEqualTo(AEAD.expectedCiphertextSize(size));
        try (InputStream in = AEAD.newDecryptingStream(new ByteArrayInputStream(stored), ASSOCIATED)) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
        }
    }

    @Property(tries = 40)
    void theseStreamsReadWhatTinkWrites(@ForAll("sizes") int size, @ForAll("chunks") int chunk, @ForAll long seed)
            throws Exception {
        byte[] plain = bytes(size, seed);
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = AEAD.newEncryptingStream(stored, ASSOCIATED)) {
            out.write(plain);
        }
        assertThat(decryptWithSegmentStreams(stored.toByteArray(), chunk)).isEqualTo(plain);
    }

    @Property(tries = 40)
    void aCutOrAFlippedByteFails(@ForAll("sizes") int size, @ForAll long seed, @ForAll @IntRange(max = 1_000_000) int where,
                                 @ForAll boolean cut) throws Exception {
        byte[] stored = encryptWithSegmentStreams(bytes(size, seed), 8192);
        int at = where % stored.length;
        byte[] damaged;
        if (cut) {
            damaged = Arrays.copyOf(stored, at);
        } else {
            damaged = stored.clone();
            damaged[at] ^= 0x20;
        }
        assertThatThrownBy(() -> decryptWithSegmentStreams(damaged, 65536)).isInstanceOf(IOException.class);
    }

    @Example
    void segmentsExactlyFullAreTheSameBothWays() throws Exception {
        for (int size : new int[] {0, FIRST, FIRST + NEXT, FIRST + 2 * NEXT}) {
            byte[] plain = bytes(size, size);
            byte[] ours = encryptWithSegmentStreams(plain, NEXT);
            try (InputStream in = AEAD.newDecryptingStream(new ByteArrayInputStream(ours), ASSOCIATED)) {
                assertThat(in.readAllBytes()).as("Tink reads ours, %d bytes", size).isEqualTo(plain);
            }
            ByteArrayOutputStream tinks = new ByteArrayOutputStream();
            try (OutputStream out = AEAD.newEncryptingStream(tinks, ASSOCIATED)) {
                out.write(plain);
            }
            assertThat(ours.length).as("%d bytes", size).isEqualTo(tinks.size());
            assertThat(decryptWithSegmentStreams(tinks.toByteArray(), 4096)).as("ours reads Tink's, %d bytes", size)
                    .isEqualTo(plain);
        }
    }

    @Example
    void buffersGoBackToThePoolAndCarryNothingFromOneStreamIntoAnother() throws Exception {
        byte[] a = bytes(3 * NEXT + 17, 1);
        byte[] b = bytes(2 * NEXT + 5, 2);
        byte[] c = bytes(FIRST - 3, 3);
        byte[] storedA = encryptWithSegmentStreams(a, 4096);
        byte[] storedB = encryptWithSegmentStreams(b, 4096);
        byte[] storedC = encryptWithSegmentStreams(c, 4096);

        InputStream readingA = SegmentStreams.decrypting(AEAD, new ByteArrayInputStream(storedA), ASSOCIATED);
        byte[] firstHalfOfA = readingA.readNBytes(a.length / 2);
        try (InputStream readingB = SegmentStreams.decrypting(AEAD, new ByteArrayInputStream(storedB), ASSOCIATED)) {
            assertThat(readingB.readAllBytes()).isEqualTo(b);
        }
        // C very likely takes the buffers B gave back; A keeps its own throughout
        try (InputStream readingC = SegmentStreams.decrypting(AEAD, new ByteArrayInputStream(storedC), ASSOCIATED)) {
            assertThat(readingC.readAllBytes()).isEqualTo(c);
        }
        byte[] restOfA = readingA.readAllBytes();
        readingA.close();
        byte[] readA = new byte[a.length];
        System.arraycopy(firstHalfOfA, 0, readA, 0, firstHalfOfA.length);
        System.arraycopy(restOfA, 0, readA, firstHalfOfA.length, restOfA.length);
        assertThat(readA).isEqualTo(a);
    }

    @Example
    void aCloseFromAnotherThreadWaitsForTheReadInProgress() throws Exception {
        byte[] plain = bytes(2 * NEXT, 6);
        byte[] stored = encryptWithSegmentStreams(plain, NEXT);
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        InputStream source = new ByteArrayInputStream(stored) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                if (pos > 0) { // past the header: hold the first segment's read until released
                    reading.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.read(b, off, len);
            }
        };
        InputStream decrypting = SegmentStreams.decrypting(AEAD, source, ASSOCIATED);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            // one read call: readNBytes would call read again (with no room left) after the close got in
            java.util.concurrent.Future<byte[]> read = threads.submit(() -> {
                byte[] buffer = new byte[100];
                int n = decrypting.read(buffer, 0, buffer.length);
                return Arrays.copyOf(buffer, n);
            });
            reading.await();
            java.util.concurrent.Future<?> closed = threads.submit(() -> {
                decrypting.close();
                return null;
            });
            // the close cannot finish while the read holds the stream (it would hand the buffers on)
            assertThat(closed.isDone()).isFalse();
            assertThatThrownBy(() -> closed.get(200, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            release.countDown();
            assertThat(read.get(1, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo(Arrays.copyOf(plain, 100));
            closed.get(1, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
    }

    @Example
    void aClosedStreamRefusesToGoOn() throws Exception {
        OutputStream writing = SegmentStreams.encrypting(AEAD, new ByteArrayOutputStream(), ASSOCIATED);
        writing.write(1);
        writing.close();
        writing.close(); // twice is fine, and gives nothing back twice
        assertThatThrownBy(() -> writing.write(2)).isInstanceOf(IOException.class);

        InputStream reading = SegmentStreams.decrypting(AEAD,
                new ByteArrayInputStream(encryptWithSegmentStreams(bytes(100, 4), 10)), ASSOCIATED);
        reading.close();
        assertThatThrownBy(reading::read).isInstanceOf(IOException.class);
    }

    @Example
    void anotherObjectsNameDoesNotDecrypt() throws Exception {
        byte[] stored = encryptWithSegmentStreams(bytes(1000, 5), 1000);
        assertThatThrownBy(() -> {
            try (InputStream in = SegmentStreams.decrypting(AEAD, new ByteArrayInputStream(stored),
                    "wal/000000010000000000000001.zst".getBytes(StandardCharsets.UTF_8))) {
                in.readAllBytes();
            }
        }).isInstanceOf(IOException.class);
    }

    private static byte[] encryptWithSegmentStreams(byte[] plain, int chunk) throws Exception {
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = SegmentStreams.encrypting(AEAD, stored, ASSOCIATED)) {
            for (int off = 0; off < plain.length; off += chunk) {
                out.write(plain, off, Math.min(chunk, plain.length - off));
            }
        }
        return stored.toByteArray();
    }

    private static byte[] decryptWithSegmentStreams(byte[] stored, int chunk) throws Exception {
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        try (InputStream in = SegmentStreams.decrypting(AEAD, new ByteArrayInputStream(stored), ASSOCIATED)) {
            byte[] buffer = new byte[chunk];
            int n;
            while ((n = in.read(buffer, 0, chunk)) >= 0) {
                plain.write(buffer, 0, n);
            }
        }
        return plain.toByteArray();
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of(0, 1)),
                Tuple.of(3, Arbitraries.integers().between(-2, 2).map(d -> FIRST + d)),
                Tuple.of(3, Arbitraries.integers().between(-2, 2).map(d -> FIRST + NEXT + d)),
                Tuple.of(3, Arbitraries.integers().between(0, 300_000)));
    }

    @Provide
    Arbitrary<Integer> chunks() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of(1, 7)),
                Tuple.of(2, Arbitraries.of(FIRST, NEXT, NEXT + 1, 65536)),
                Tuple.of(3, Arbitraries.integers().between(2, 200_000)));
    }

    private static byte[] bytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
