package io.walstash.core.wal;

import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * The name of a WAL segment file, {@code TTTTTTTTLLLLLLLLSSSSSSSS}: timeline, "log" (xlogid) and
 * segment within the log, each eight upper-case hex digits.
 *
 * <p>The name alone does not say how big the segment is; which {@code SSSSSSSS} values exist, and
 * which LSNs a name covers, depend on the cluster's {@link WalSegmentSize}. With 16 MiB segments
 * the last segment of a log is {@code …000000FF}; with 64 MiB segments it is {@code …0000003F}.
 *
 * @param timeline 1 to {@code FFFFFFFF}
 * @param log 0 to {@code FFFFFFFF}
 * @param segment 0 to {@code FFFFFFFF}; only values below {@link WalSegmentSize#segmentsPerXLogId()}
 *     name a real segment
 */
public record SegmentFileName(long timeline, long log, long segment)
        implements WalFileName, Comparable<SegmentFileName> {
    /** PostgreSQL's {@code XLOG_FNAME_LEN}. */
    public static final int LENGTH = 24;

    private static final Comparator<SegmentFileName> ORDER = Comparator.comparingLong(SegmentFileName::timeline)
            .thenComparingLong(SegmentFileName::log)
            .thenComparingLong(SegmentFileName::segment);

    public SegmentFileName {
        WalNames.requireTimeline(timeline);
        WalNames.requireUint32(log, "log");
        WalNames.requireUint32(segment, "segment");
    }

    @Override
    public Optional<SegmentFileName> contentSegment() {
        return Optional.of(this);
    }

    /**
     * Parses a segment name: exactly 24 upper-case hex digits, timeline not 0.
     *
     * @throws IllegalArgumentException {@code malformed WAL file name '<name>': <reason>}
     */
    public static SegmentFileName parse(String name) {
        Objects.requireNonNull(name, "name");
        WalNames.requireBareName(name);
        if (name.length() != LENGTH) {
            throw WalNames.malformed(name, "a segment name has 24 upper-case hex digits, not " + name.length() + " characters");
        }
        return parseDigits(name, 0);
    }

    /** Reads the 24 digits of a segment name starting at {@code from} in {@code name}. */
    static SegmentFileName parseDigits(String name, int from) {
        long timeline = WalNames.hex8At(name, from);
        long log = WalNames.hex8At(name, from + 8);
        long segment = WalNames.hex8At(name, from + 16);
        try {
            return new SegmentFileName(timeline, log, segment);
        } catch (IllegalArgumentException e) {
            throw WalNames.malformed(name, e.getMessage());
        }
    }

    /**
     * The segment with the given number ({@code XLogFileName}).
     *
     * @throws IllegalArgumentException if {@code segmentNumber} is negative or past the last segment
     *     of the WAL address space
     */
    public static SegmentFileName of(long timeline, long segmentNumber, WalSegmentSize size) {
        if (segmentNumber < 0 || segmentNumber > size.maxSegmentNumber()) {
            throw new IllegalArgumentException("segment number " + segmentNumber + " is out of range 0.."
                    + size.maxSegmentNumber() + " for " + size + " segments");
        }
        long perLog = size.segmentsPerXLogId();
        return new SegmentFileName(timeline, segmentNumber / perLog, segmentNumber % perLog);
    }

    /** The segment on {@code timeline} that holds {@code lsn}. */
    public static SegmentFileName containing(long timeline, Lsn lsn, WalSegmentSize size) {
        return of(timeline, lsn.segmentNumber(size), size);
    }

    @Override
    public String fileName() {
        return WalNames.hex8(timeline) + WalNames.hex8(log) + WalNames.hex8(segment);
    }

    /**
     * The number of this segment counted from the start of the WAL ({@code XLogFromFileName}).
     *
     * @throws IllegalArgumentException if no such segment exists with segments of this size, such as
     *     {@code …00000040} with 64 MiB segments
     */
    public long segmentNumber(WalSegmentSize size) {
        long perLog = size.segmentsPerXLogId();
        if (segment >= perLog) {
            throw new IllegalArgumentException("segment " + fileName() + " does not exist with " + size
                    + " segments: the last segment of each log is " + WalNames.hex8(perLog - 1));
        }
        return log * perLog + segment;
    }

    /**
     * The segment after this one on the same timeline.
     *
     * @throws ArithmeticException if this is the last segment of the WAL address space
     */
    public SegmentFileName next(WalSegmentSize size) {
        long number = segmentNumber(size);
        if (number == size.maxSegmentNumber()) {
            throw new ArithmeticException("segment " + fileName() + " is the last one with " + size + " segments");
        }
        return of(timeline, number + 1, size);
    }

    /**
     * The segment before this one on the same timeline.
     *
     * @throws ArithmeticException if this is segment 0
     */
    public SegmentFileName previous(WalSegmentSize size) {
        long number = segmentNumber(size);
        if (number == 0) {
            throw new ArithmeticException("segment " + fileName() + " is the first one; there is none before it");
        }
        return of(timeline, number - 1, size);
    }

    /** The position of this segment's first byte. */
    public Lsn startLsn(WalSegmentSize size) {
        // below 2^64 for every segment that exists, so the unsigned product does not wrap
        return Lsn.of(segmentNumber(size) * size.bytes());
    }

    /** Whether {@code lsn} falls in this segment. */
    public boolean contains(Lsn lsn, WalSegmentSize size) {
        return lsn.segmentNumber(size) == segmentNumber(size);
    }

    /** The segment with the same log and segment digits on another timeline. */
    public SegmentFileName onTimeline(long timeline) {
        return new SegmentFileName(timeline, log, segment);
    }

    /** This segment's name with {@code .partial}, as PostgreSQL archives an unfinished last segment. */
    public PartialSegmentFileName partial() {
        return new PartialSegmentFileName(this);
    }

    /**
     * By timeline, then log, then segment: the order of the names as strings, and for real segments
     * of one size the order of (timeline, segment number).
     */
    @Override
    public int compareTo(SegmentFileName other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return fileName();
    }
}
