package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.wal.Lsn;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Page checks while a backup reads: a page read torn (PostgreSQL writing it at that moment) is
 * read again, as pg_basebackup does, and only a page that fails every time counts as corrupt.
 * The torn read is a channel that returns one flipped byte at an exact offset on its first reads.
 */
class PageReaderTest {
    private static final int BLOCK = 8192;
    private static final Lsn START = Lsn.parse("0/5000000");

    @TempDir
    Path dir;

    /** A relation file of {@code blocks} initialised pages with page LSN {@code lsn} and correct checksums. */
    private Path relation(int blocks, long lsn) throws IOException {
        byte[] file = new byte[blocks * BLOCK];
        new Random(42).nextBytes(file);
        for (int b = 0; b < blocks; b++) {
            int offset = b * BLOCK;
            ByteBuffer.wrap(file, offset, 8).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, (int) (lsn >>> 32))
                    .putInt(offset + 4, (int) lsn);
            file[offset + PageChecksum.UPPER_OFFSET] = 0x20;
            file[offset + PageChecksum.UPPER_OFFSET + 1] = 0x10;
            int sum = PageChecksum.compute(file, offset, BLOCK, b);
            file[offset + PageChecksum.CHECKSUM_OFFSET] = (byte) sum;
            file[offset + PageChecksum.CHECKSUM_OFFSET + 1] = (byte) (sum >>> 8);
        }
        Path path = dir.resolve("16384");
        Files.write(path, file);
        return path;
    }

    private record Read(byte[] bytes, List<Long> corrupt) {
    }

    private static Read readWhole(FileChannel channel) throws IOException {
        List<Long> corrupt = Collections.synchronizedList(new ArrayList<>());
        PageReader reader = new PageReader(channel, BLOCK, true, 0, START, corrupt);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = reader.whole()) {
            in.transferTo(out);
        }
        return new Read(out.toByteArray(), corrupt);
    }

    @Test
    void aPageReadTornOnceIsReadAgainAndNotCorrupt() throws IOException {
        Path file = relation(3, 0x1000000L);
        long torn = BLOCK + 5000; // inside block 1
        try (FileChannel channel = new FlippingChannel(FileChannel.open(file, StandardOpenOption.READ), torn, 1)) {
            Read read = readWhole(channel);
            assertThat(read.corrupt()).isEmpty();
            assertThat(read.bytes()).as("the good page is what is stored").isEqualTo(Files.readAllBytes(file));
        }
    }

    @Test
    void aPageThatFailsEveryReadIsCorrupt() throws IOException {
        Path file = relation(3, 0x1000000L);
        try (FileChannel channel = new FlippingChannel(FileChannel.open(file, StandardOpenOption.READ), 2 * BLOCK + 100,
                Integer.MAX_VALUE)) {
            assertThat(readWhole(channel).corrupt()).containsExactly(2L);
        }
    }

    @Test
    void aPageNewerThanTheBackupStartIsNotCheckedEvenWhenTorn() throws IOException {
        Path file = relation(2, START.value() + 0x100);
        try (FileChannel channel = new FlippingChannel(FileChannel.open(file, StandardOpenOption.READ), 3000,
                Integer.MAX_VALUE)) {
            assertThat(readWhole(channel).corrupt()).isEmpty();
        }
    }

    @Test
    void aTornPageInADeltaIsReadAgainToo() throws IOException {
        Path file = relation(3, 0x1000000L);
        List<Long> corrupt = Collections.synchronizedList(new ArrayList<>());
        try (FileChannel channel = new FlippingChannel(FileChannel.open(file, StandardOpenOption.READ), BLOCK + 3000, 2)) {
            PageReader reader = new PageReader(channel, BLOCK, true, 0, START, corrupt);
            try (InputStream in = reader.delta(3L * BLOCK, new int[] {1})) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        assertThat(corrupt).isEmpty();
    }

    /** A read-only channel that flips the byte at {@code offset} in the first {@code times} reads covering it. */
    private static final class FlippingChannel extends FileChannel {
        private final FileChannel delegate;
        private final long offset;
        private int remaining;

        FlippingChannel(FileChannel delegate, long offset, int times) {
            this.delegate = delegate;
            this.offset = offset;
            this.remaining = times;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int start = dst.position();
            int n = delegate.read(dst, position);
            if (n > 0 && remaining > 0 && offset >= position && offset < position + n) {
                remaining--;
                int at = start + (int) (offset - position);
                dst.put(at, (byte) (dst.get(at) ^ 0x5A));
            }
            return n;
        }

        @Override
        public int read(ByteBuffer dst) {
            throw new UnsupportedOperationException("positional reads only");
        }

        @Override
        public long read(ByteBuffer[] dsts, int off, int len) {
            throw new UnsupportedOperationException("positional reads only");
        }

        @Override
        public int write(ByteBuffer src) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public long write(ByteBuffer[] srcs, int off, int len) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public int write(ByteBuffer src, long position) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public long position() throws IOException {
            return delegate.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            delegate.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public FileChannel truncate(long size) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void force(boolean metaData) {
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) {
            throw new UnsupportedOperationException("positional reads only");
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) {
            throw new UnsupportedOperationException("positional reads only");
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException("no locks");
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) {
            throw new UnsupportedOperationException("no locks");
        }

        @Override
        protected void implCloseChannel() throws IOException {
            delegate.close();
        }
    }
}
