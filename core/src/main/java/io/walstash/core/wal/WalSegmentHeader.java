package io.walstash.core.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The long page header that opens every WAL segment ({@code XLogLongPageHeaderData} in
 * {@code xlog_internal.h}): enough to tell a WAL segment from other bytes, and to learn which
 * cluster, PostgreSQL version and segment size wrote it without parsing any record.
 *
 * <p>The header is in the writing machine's byte order; walstash reads it little-endian, the order
 * of every platform it supports. Note that {@link #timeline} is the timeline of the first record
 * on the page, and a recycled segment keeps its old header until it is overwritten, so the header
 * need not agree with the file's name.
 *
 * @param magic {@code xlp_magic}, which changes with each major version's WAL format
 * @param info {@code xlp_info} flag bits; {@link #XLP_LONG_HEADER} is always set
 * @param timeline {@code xlp_tli}
 * @param pageAddress {@code xlp_pageaddr}, the LSN of the segment's first byte
 * @param systemIdentifier {@code xlp_sysid}, the cluster's identifier from {@code pg_control}
 * @param segmentSize {@code xlp_seg_size}, a valid {@link WalSegmentSize}
 * @param blockSize {@code xlp_xlog_blcksz}, the WAL page size: a power of two from 1 to 64 KiB
 */
public record WalSegmentHeader(
        int magic, int info, long timeline, Lsn pageAddress, long systemIdentifier, int segmentSize, int blockSize) {

    /** {@code SizeOfXLogLongPHD}: the bytes {@link #read} needs. */
    public static final int LENGTH = 40;

    /** The {@code xlp_info} bit that marks a long header, which only a segment's first page has. */
    public static final int XLP_LONG_HEADER = 0x0002;

    // PostgreSQL's configure/meson accept --with-wal-blocksize 1, 2, 4, 8, 16, 32 and 64 (KiB)
    private static final int MIN_BLOCK_SIZE = 1 << 10;
    private static final int MAX_BLOCK_SIZE = 64 << 10;

    public WalSegmentHeader {
        if (magic < 0 || magic > 0xFFFF) {
            throw new IllegalArgumentException("magic " + magic + " does not fit in 16 bits");
        }
        if (info < 0 || info > 0xFFFF) {
            throw new IllegalArgumentException("info " + info + " does not fit in 16 bits");
        }
        if ((info & XLP_LONG_HEADER) == 0) {
            throw new IllegalArgumentException(String.format(
                    "page header flags 0x%04X lack the long-header bit 0x%04X", info, XLP_LONG_HEADER));
        }
        WalNames.requireTimeline(timeline);
        Objects.requireNonNull(pageAddress, "pageAddress");
        if (!WalSegmentSize.isValid(Integer.toUnsignedLong(segmentSize))) {
            throw new IllegalArgumentException("segment size " + Integer.toUnsignedString(segmentSize)
                    + " is not a power of two from 1 MiB to 1 GiB");
        }
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("WAL block size " + Integer.toUnsignedString(blockSize)
                    + " is not a power of two from 1 KiB to 64 KiB");
        }
        if (pageAddress.offsetInSegment(new WalSegmentSize(segmentSize)) != 0) {
            // only the first page of a segment carries the long header, and its address starts the segment
            throw new IllegalArgumentException("page address " + pageAddress + " is not the start of a "
                    + (segmentSize >> 20) + " MiB segment");
        }
    }

    /** Same as {@link #read(ByteBuffer)} on the start of {@code bytes}. */
    public static WalSegmentHeader read(byte[] bytes) {
        return read(ByteBuffer.wrap(bytes));
    }

    /**
     * Decodes the header at {@code buffer}'s position, leaving the buffer's position and byte order
     * as they were.
     *
     * @throws IllegalArgumentException {@code not a WAL segment: <reason>} when fewer than
     *     {@link #LENGTH} bytes remain or the fields are not those of a segment's first page
     */
    public static WalSegmentHeader read(ByteBuffer buffer) {
        if (buffer.remaining() < LENGTH) {
            throw new IllegalArgumentException("not a WAL segment: " + buffer.remaining()
                    + " bytes, fewer than the " + LENGTH + " of its first page header");
        }
        ByteBuffer b = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        int magic = Short.toUnsignedInt(b.getShort(0));
        int info = Short.toUnsignedInt(b.getShort(2));
        long timeline = Integer.toUnsignedLong(b.getInt(4));
        long pageAddress = b.getLong(8);
        // 16: xlp_rem_len, a continuation length that says nothing about the segment; 20: alignment padding
        long systemIdentifier = b.getLong(24);
        int segmentSize = b.getInt(32);
        int blockSize = b.getInt(36);
        try {
            return new WalSegmentHeader(magic, info, timeline, Lsn.of(pageAddress), systemIdentifier, segmentSize, blockSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a WAL segment: " + e.getMessage(), e);
        }
    }

    /**
     * The PostgreSQL major version whose {@code XLOG_PAGE_MAGIC} this is, for the versions walstash
     * knows (12 to 18); empty for others, including development versions whose magic still moves.
     */
    public OptionalInt postgresMajorVersion() {
        return switch (magic) {
            case 0xD101 -> OptionalInt.of(12);
            case 0xD106 -> OptionalInt.of(13);
            case 0xD10D -> OptionalInt.of(14);
            case 0xD110 -> OptionalInt.of(15);
            case 0xD113 -> OptionalInt.of(16);
            case 0xD116 -> OptionalInt.of(17);
            case 0xD118 -> OptionalInt.of(18);
            default -> OptionalInt.empty();
        };
    }

    public WalSegmentSize walSegmentSize() {
        return new WalSegmentSize(segmentSize);
    }

    /** The system identifier as PostgreSQL prints it: unsigned decimal. */
    public String systemIdentifierText() {
        return Long.toUnsignedString(systemIdentifier);
    }
}
