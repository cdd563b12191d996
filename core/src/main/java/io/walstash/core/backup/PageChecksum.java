package io.walstash.core.backup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * PostgreSQL's data page checksum ({@code pg_checksum_page}): 32 interleaved FNV-1a-like hashes
 * over the page read as little-endian 32-bit words (x86/ARM byte order, which the on-disk pages
 * use on the platforms walstash runs on), with {@code pd_checksum} taken as zero, two extra rounds
 * of zeros, folded by XOR, XORed with the block number and reduced to 1..65535.
 */
public final class PageChecksum {
    /** pd_checksum's offset in the page header (after the 8-byte pd_lsn). */
    static final int CHECKSUM_OFFSET = 8;
    /** pd_upper's offset; zero marks a new, never-initialised page. */
    static final int UPPER_OFFSET = 14;
    private static final int LANES = 32;
    private static final int FNV_PRIME = 16777619;
    /** The lanes' starting states: part of PostgreSQL's on-disk format. */
    private static final int[] BASE_OFFSETS = {
            0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
            0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
            0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
            0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756};

    private PageChecksum() {
    }

    private static int mix(int state, int value) {
        int t = state ^ value;
        return t * FNV_PRIME ^ (t >>> 17);
    }

    /** The checksum PostgreSQL computes for {@code page} (length = block size) at {@code blockNumber}. */
    public static int compute(byte[] page, int offset, int length, long blockNumber) {
        ByteBuffer words = ByteBuffer.wrap(page, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        int[] sums = BASE_OFFSETS.clone();
        int rows = length / (4 * LANES);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < LANES; j++) {
                int position = offset + (i * LANES + j) * 4;
                int word = words.getInt(position);
                if (position == offset + CHECKSUM_OFFSET) {
                    word &= 0xFFFF0000; // pd_checksum (low half of this little-endian word) counts as zero
                }
                sums[j] = mix(sums[j], word);
            }
        }
        for (int round = 0; round < 2; round++) {
            for (int j = 0; j < LANES; j++) {
                sums[j] = mix(sums[j], 0);
            }
        }
        int result = 0;
        for (int sum : sums) {
            result ^= sum;
        }
        result ^= (int) blockNumber;
        return (int) (Integer.toUnsignedLong(result) % 65535) + 1;
    }

    /** The checksum stored in the page header. */
    public static int stored(byte[] page, int offset) {
        return (page[offset + CHECKSUM_OFFSET] & 0xFF) | (page[offset + CHECKSUM_OFFSET + 1] & 0xFF) << 8;
    }

    /** Whether the page has never been initialised (pd_upper = 0); such pages carry no checksum. */
    public static boolean isNew(byte[] page, int offset) {
        return page[offset + UPPER_OFFSET] == 0 && page[offset + UPPER_OFFSET + 1] == 0;
    }

    /** Whether the page passes PostgreSQL's verification: new pages must be all zeros, others match their checksum. */
    public static boolean verify(byte[] page, int offset, int length, long blockNumber) {
        if (isNew(page, offset)) {
            for (int i = offset; i < offset + length; i++) {
                if (page[i] != 0) {
                    return false;
                }
            }
            return true;
        }
        return stored(page, offset) == compute(page, offset, length, blockNumber);
    }

    /** The page LSN (pd_lsn: xlogid then xrecoff, each a little-endian 32-bit word). */
    public static long pageLsn(byte[] page, int offset) {
        ByteBuffer b = ByteBuffer.wrap(page, offset, 8).order(ByteOrder.LITTLE_ENDIAN);
        long high = Integer.toUnsignedLong(b.getInt(offset));
        long low = Integer.toUnsignedLong(b.getInt(offset + 4));
        return high << 32 | low;
    }
}
