package io.walstash.core.backup;

import io.walstash.core.io.BlockInputStream;
import io.walstash.core.wal.Lsn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/** Reads a file in chunks of whole pages, checking page checksums of pages that predate the backup. */
final class PageReader {
    private static final int CHUNK_PAGES = 64;
    /** How many times a page that fails its checksum is read again before it counts as corrupt. */
    static final int REREADS = 3;

    private final FileChannel channel;
    private final int blockSize;
    private final boolean verify;
    private final long firstBlock;
    private final Lsn startLsn;
    private final List<Long> corrupt;

    PageReader(FileChannel channel, int blockSize, boolean verify, long firstBlock, Lsn startLsn, List<Long> corrupt) {
        this.channel = channel;
        this.blockSize = blockSize;
        this.verify = verify;
        this.firstBlock = firstBlock;
        this.startLsn = startLsn;
        this.corrupt = corrupt;
    }

    /** Reads up to {@code buffer.length} bytes at {@code position}; returns how many (0 at end of file). */
    private int readAt(byte[] buffer, int length, long position) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(buffer, 0, length);
        while (b.hasRemaining()) {
            int n = channel.read(b, position + b.position());
            if (n < 0) {
                break;
            }
        }
        return b.position();
    }

    /**
     * Checks the page at {@code offset} of {@code buffer} (block {@code blockInFile} of the file). A
     * page that fails its checksum is read again, up to {@link #REREADS} times, as pg_basebackup
     * does: PostgreSQL may have been writing it (a torn read). A good re-read replaces the torn bytes,
     * so what is stored is the page as written; a page whose LSN is now at or past the backup's start
     * is being changed, and WAL replay rewrites it. Only a page that fails every read is corrupt.
     */
    private void check(byte[] buffer, int offset, long blockInFile) throws IOException {
        if (!verify || passes(buffer, offset, blockInFile)) {
            return;
        }
        byte[] again = new byte[blockSize];
        for (int attempt = 0; attempt < REREADS; attempt++) {
            int n = readAt(again, blockSize, blockInFile * blockSize);
            if (n < blockSize) {
                return; // truncated while we read: the relation shrank, WAL replay settles it
            }
            if (passes(again, 0, blockInFile)) {
                System.arraycopy(again, 0, buffer, offset, blockSize);
                return;
            }
        }
        corrupt.add(firstBlock + blockInFile);
    }

    private boolean passes(byte[] page, int offset, long blockInFile) {
        // A page changed since the backup started may be read torn; WAL replay rewrites it whole.
        return Long.compareUnsigned(PageChecksum.pageLsn(page, offset), startLsn.value()) >= 0
                || PageChecksum.verify(page, offset, blockSize, firstBlock + blockInFile);
    }

    /** The whole file as it is read, to its end. */
    InputStream whole() throws IOException {
        // most files of a data directory are a few pages: a chunk's 512 KiB for each would be most of
        // what a backup of them allocates (one block more than the length, so the end is found in one fill)
        long length = channel.size();
        int chunk = (int) Math.min(CHUNK_PAGES * blockSize, (length / blockSize + 1) * blockSize);
        return new ChunkStream() {
            private final byte[] buffer = new byte[chunk];
            private long position;

            @Override
            protected int fill(byte[][] out) throws IOException {
                int n = readAt(buffer, buffer.length, position);
                for (int offset = 0; offset + blockSize <= n; offset += blockSize) {
                    check(buffer, offset, (position + offset) / blockSize);
                }
                position += n;
                out[0] = buffer;
                return n;
            }
        };
    }

    /** Blocks below {@code length} whose page LSN is at or past {@code threshold}, or at or past {@code baseBlocks}. */
    int[] changedBlocks(long length, Lsn threshold, long baseBlocks) throws IOException {
        int total = (int) (length / blockSize);
        int[] blocks = new int[Math.min(total, 1024)];
        int count = 0;
        byte[] buffer = new byte[CHUNK_PAGES * blockSize];
        for (long block = 0; block < total; block += CHUNK_PAGES) {
            int want = (int) Math.min(CHUNK_PAGES, total - block) * blockSize;
            int n = readAt(buffer, want, block * blockSize);
            for (int i = 0; i < want / blockSize; i++) {
                long b = block + i;
                long lsn = (i + 1) * blockSize > n ? 0 : PageChecksum.pageLsn(buffer, i * blockSize);
                // LSN 0: a page never WAL-logged (new, or zeroed by an extension); cheap to store and
                // its earlier content may belong to a file this path named before
                boolean changed = b >= baseBlocks || lsn == 0 || Long.compareUnsigned(lsn, threshold.value()) >= 0;
                if (changed) {
                    if (count == blocks.length) {
                        blocks = java.util.Arrays.copyOf(blocks, Math.max(16, blocks.length * 2));
                    }
                    blocks[count++] = (int) b;
                }
            }
        }
        return java.util.Arrays.copyOf(blocks, count);
    }

    /** The delta file of {@code blocks}; a page the file lost since it was scanned reads as zeros. */
    InputStream delta(long length, int[] blocks) {
        byte[] header = DeltaFile.header(blockSize, length, blocks.length);
        return new ChunkStream() {
            private final byte[] entry = new byte[4 + blockSize];
            private int next = -1;

            @Override
            protected int fill(byte[][] out) throws IOException {
                if (next < 0) {
                    next = 0;
                    out[0] = header;
                    return header.length;
                }
                if (next >= blocks.length) {
                    return -1;
                }
                int block = blocks[next++];
                ByteBuffer.wrap(entry, 0, 4).putInt(block);
                byte[] page = new byte[blockSize];
                int n = readAt(page, blockSize, (long) block * blockSize);
                if (n == blockSize) {
                    check(page, 0, block);
                } else {
                    java.util.Arrays.fill(page, n, blockSize, (byte) 0);
                }
                System.arraycopy(page, 0, entry, 4, blockSize);
                out[0] = entry;
                return entry.length;
            }
        };
    }

    /** An input stream over chunks a subclass produces; {@code fill} returns the length, 0 or -1 at the end. */
    private abstract static class ChunkStream extends BlockInputStream {
        private byte[] chunk;
        private int length;
        private int position;
        private boolean done;

        protected abstract int fill(byte[][] out) throws IOException;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (position >= length) {
                if (done) {
                    return -1;
                }
                byte[][] out = new byte[1][];
                int n = fill(out);
                if (n <= 0) {
                    done = true;
                    return -1;
                }
                chunk = out[0];
                length = n;
                position = 0;
            }
            int n = Math.min(len, length - position);
            System.arraycopy(chunk, position, b, off, n);
            position += n;
            return n;
        }
    }
}
