package io.walstash.core.wal;

/**
 * The size of every WAL segment file of one cluster, fixed when the cluster is created
 * ({@code initdb --wal-segsize}). It decides how an {@link Lsn} maps to a segment file name, so
 * every conversion between the two takes one.
 *
 * @param bytes a power of two from 1 MiB to 1 GiB, the range PostgreSQL accepts
 */
public record WalSegmentSize(int bytes) {
    /** PostgreSQL's {@code WalSegMinSize}. */
    public static final int MIN_BYTES = 1 << 20;
    /** PostgreSQL's {@code WalSegMaxSize}. */
    public static final int MAX_BYTES = 1 << 30;
    /** PostgreSQL's default, 16 MiB. */
    public static final WalSegmentSize DEFAULT = new WalSegmentSize(16 << 20);

    public WalSegmentSize {
        if (!isValid(bytes)) {
            throw invalid(bytes);
        }
    }

    /** Same as the constructor, for sizes read as {@code long} (configuration, control data). */
    public static WalSegmentSize ofBytes(long bytes) {
        if (!isValid(bytes)) {
            throw invalid(bytes);
        }
        return new WalSegmentSize((int) bytes);
    }

    /** The size {@code initdb --wal-segsize=mebibytes} creates. */
    public static WalSegmentSize ofMebibytes(long mebibytes) {
        if (mebibytes <= 0 || mebibytes > MAX_BYTES >> 20) {
            throw new IllegalArgumentException("invalid WAL segment size " + mebibytes
                    + " MiB: must be a power of two from 1 MiB to 1024 MiB");
        }
        return ofBytes(mebibytes << 20);
    }

    /** Whether {@code bytes} is a segment size PostgreSQL accepts ({@code IsValidWalSegSize}). */
    public static boolean isValid(long bytes) {
        return bytes >= MIN_BYTES && bytes <= MAX_BYTES && Long.bitCount(bytes) == 1;
    }

    /**
     * How many segments share one "log" (xlogid), the middle eight hex digits of a segment file
     * name: 256 with 16 MiB segments, 64 with 64 MiB segments.
     */
    public long segmentsPerXLogId() {
        return 0x1_0000_0000L / bytes;
    }

    /** The number of the last segment in the 64-bit WAL address space. */
    public long maxSegmentNumber() {
        return Long.divideUnsigned(-1L, bytes);
    }

    public int mebibytes() {
        return bytes >> 20;
    }

    /** As PostgreSQL's {@code SHOW wal_segment_size} prints it, e.g. {@code 16 MiB}. */
    @Override
    public String toString() {
        return mebibytes() + " MiB";
    }

    private static IllegalArgumentException invalid(long bytes) {
        return new IllegalArgumentException("invalid WAL segment size " + bytes
                + " bytes: must be a power of two from 1 MiB (1048576) to 1 GiB (1073741824)");
    }
}
