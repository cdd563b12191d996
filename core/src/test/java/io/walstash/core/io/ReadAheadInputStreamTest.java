package io.walstash.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.concurrent.ThreadPools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ReadAheadInputStreamTest {
    private static final ExecutorService THREADS = ThreadPools.reused("test-read-ahead");

    @AfterAll
    static void stop() {
        THREADS.shutdownNow();
    }

    private static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] readAll(InputStream in, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[readSize];
        int n;
        while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void givesEveryByteInOrderWhateverTheSizesOfChunksAndReads() throws IOException {
        int chunk = 1024;
        for (int length : new int[] {0, 1, chunk - 1, chunk, chunk + 1, 4 * chunk, 4 * chunk + 1, 37 * chunk + 5}) {
            for (int readSize : new int[] {1, 7, chunk, 3 * chunk + 1}) {
                byte[] source = bytes(length, length * 31L + readSize);
                try (InputStream in = new ReadAheadInputStream(new ByteArrayInputStream(source), THREADS, chunk, 3)) {
                    assertThat(readAll(in, readSize)).as("%d bytes read %d at a time", length, readSize).isEqualTo(source);
                    assertThat(in.read()).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    void theOtherStreamIsReadOnAnotherThread() throws IOException {
        AtomicReference<Thread> readBy = new AtomicReference<>();
        InputStream source = new FilterInputStream(new ByteArrayInputStream(bytes(5000, 1))) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                readBy.set(Thread.currentThread());
                return super.read(b, off, len);
            }
        };
        try (InputStream in = new ReadAheadInputStream(source, THREADS, 512, 2)) {
            readAll(in, 100);
        }
        assertThat(readBy.get()).isNotNull().isNotSameAs(Thread.currentThread());
    }

    @Test
    void aFailureArrivesAfterTheBytesBeforeItAsTheSameException() throws IOException {
        byte[] source = bytes(3000, 2);
        IOException failure = new IOException("page 2 of base/5/16396 fails its checksum");
        InputStream failing = new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                if (position == 2500) {
                    throw failure;
                }
                return source[position++] & 0xFF;
            }
        };
        try (InputStream in = new ReadAheadInputStream(failing, THREADS, 1000, 2)) {
            byte[] first = in.readNBytes(2000);
            assertThat(first).isEqualTo(java.util.Arrays.copyOf(source, 2000));
            assertThatThrownBy(() -> readAll(in, 64)).isSameAs(failure);
        }
    }

    @Test
    void closingMidwayStopsTheReaderAndClosesTheOtherStream() throws Exception {
        AtomicBoolean closed = new AtomicBoolean();
        CountDownLatch produced = new CountDownLatch(1);
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                produced.countDown();
                return 7;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                produced.countDown();
                java.util.Arrays.fill(b, off, off + len, (byte) 7);
                return len;
            }

            @Override
            public void close() {
                closed.set(true);
            }
        };
        InputStream in = new ReadAheadInputStream(endless, THREADS, 4096, 2);
        assertThat(in.read()).isEqualTo(7);
        assertThat(produced.await(30, TimeUnit.SECONDS)).isTrue();
        in.close();
        assertThat(closed).isTrue();
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessage("stream closed");
        in.close(); // twice is harmless
    }
}
