package io.walstash.core.backup;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The changed pages of one relation file, as a delta backup stores them.
 *
 * <p>Format version 1, big-endian: the 8 ASCII bytes {@code WSDELTA1}, the format version as a
 * 32-bit integer (1), the block size as a 32-bit integer, the file's new length in bytes as a
 * 64-bit integer, the number of pages as a 32-bit integer, then that many entries of a 32-bit
 * block number (within the file, strictly increasing) followed by one block of page bytes.
 * Nothing follows the last entry. Applying it truncates or zero-extends the file to the new length
 * and writes every page at {@code blockNumber * blockSize}; a page reaching past the new length
 * is cut there.
 */
public final class DeltaFile {
    static final byte[] MAGIC = "WSDELTA1".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    /** Length of the header before the first entry. */
    public static final int HEADER_LENGTH = 8 + 4 + 4 + 8 + 4;

    private DeltaFile() {
    }

    /** The header of a delta with {@code count} pages. */
    public static byte[] header(int blockSize, long newLength, int count) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH);
        b.put(MAGIC).putInt(VERSION).putInt(blockSize).putLong(newLength).putInt(count);
        return b.array();
    }

    /** The bytes of the delta that holds {@code blocks} of {@code file} (missing tail bytes read as zeros). */
    public static byte[] encode(byte[] file, int blockSize, long newLength, int[] blocks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            DataOutputStream data = new DataOutputStream(out);
            data.write(header(blockSize, newLength, blocks.length));
            int previous = -1;
            for (int block : blocks) {
                if (block <= previous) {
                    throw new IllegalArgumentException("block numbers must increase: " + previous + ", " + block);
                }
                previous = block;
                data.writeInt(block);
                byte[] page = new byte[blockSize];
                long start = (long) block * blockSize;
                if (start < file.length) {
                    System.arraycopy(file, (int) start, page, 0, (int) Math.min(blockSize, file.length - start));
                }
                data.write(page);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** Applies {@code delta} to an in-memory file: the result of {@link #apply(InputStream, FileChannel)} on it. */
    public static byte[] applyTo(byte[] file, InputStream delta) throws IOException {
        DataInputStream in = new DataInputStream(delta);
        Header h = readHeader(in);
        byte[] result = Arrays.copyOf(file, Math.toIntExact(h.newLength()));
        forEachPage(in, h, (block, page) -> {
            long start = (long) block * h.blockSize();
            if (start < result.length) {
                System.arraycopy(page, 0, result, (int) start, (int) Math.min(h.blockSize(), result.length - start));
            }
        });
        return result;
    }

    /** Applies {@code delta} to {@code target}, which is truncated or extended to the delta's new length. */
    public static void apply(InputStream delta, FileChannel target) throws IOException {
        DataInputStream in = new DataInputStream(delta);
        Header h = readHeader(in);
        long size = target.size();
        if (size > h.newLength()) {
            target.truncate(h.newLength());
        } else if (size < h.newLength()) {
            // extend with zeros: write the last byte
            target.write(ByteBuffer.allocate(1), h.newLength() - 1);
        }
        forEachPage(in, h, (block, page) -> {
            long start = (long) block * h.blockSize();
            if (start < h.newLength()) {
                ByteBuffer b = ByteBuffer.wrap(page, 0, (int) Math.min(h.blockSize(), h.newLength() - start));
                long position = start;
                while (b.hasRemaining()) {
                    position += target.write(b, position);
                }
            }
        });
    }

    record Header(int blockSize, long newLength, int count) {
    }

    private interface PageConsumer {
        void accept(int block, byte[] page) throws IOException;
    }

    private static Header readHeader(DataInputStream in) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        try {
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException("not a walstash delta file (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException("delta file format version " + version + " is not known to this walstash");
            }
            int blockSize = in.readInt();
            long newLength = in.readLong();
            int count = in.readInt();
            if (blockSize <= 0 || blockSize > (1 << 20) || newLength < 0 || count < 0) {
                throw new IOException("delta file header is invalid: block size " + blockSize + ", length " + newLength
                        + ", pages " + count);
            }
            return new Header(blockSize, newLength, count);
        } catch (EOFException e) {
            throw new IOException("delta file is truncated in its header", e);
        }
    }

    private static void forEachPage(DataInputStream in, Header h, PageConsumer consumer) throws IOException {
        byte[] page = new byte[h.blockSize()];
        long previous = -1;
        try {
            for (int i = 0; i < h.count(); i++) {
                long block = Integer.toUnsignedLong(in.readInt());
                if (block <= previous) {
                    throw new IOException("delta file block numbers do not increase at entry " + i);
                }
                previous = block;
                in.readFully(page);
                consumer.accept((int) block, page);
            }
        } catch (EOFException e) {
            throw new IOException("delta file is truncated: fewer than " + h.count() + " pages", e);
        }
        if (in.read() >= 0) {
            throw new IOException("delta file has bytes after its last page");
        }
    }

    /** Writes the pages to {@code out}: used by tests and small callers; backup push streams instead. */
    static void writeEntry(OutputStream out, int block, byte[] page, int offset, int blockSize) throws IOException {
        out.write(ByteBuffer.allocate(4).putInt(block).array());
        out.write(page, offset, blockSize);
    }
}
