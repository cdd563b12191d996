package io.walstash.core.wal;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code <segment>.OOOOOOOO.backup}: the backup history file {@code pg_backup_stop} writes,
 * named after the segment and offset where the backup started.
 *
 * @param segment the segment holding the backup's start LSN
 * @param offset the start LSN's byte offset within that segment, 0 to {@code FFFFFFFF}
 */
public record BackupHistoryFileName(SegmentFileName segment, long offset) implements WalFileName {
    static final String SUFFIX = ".backup";
    private static final int LENGTH = SegmentFileName.LENGTH + 1 + 8 + SUFFIX.length();

    public BackupHistoryFileName {
        Objects.requireNonNull(segment, "segment");
        WalNames.requireUint32(offset, "offset");
    }

    @Override
    public Optional<SegmentFileName> namedSegment() {
        return Optional.of(segment);
    }

    /** The backup history file of a backup that started at {@code start} on {@code timeline}. */
    public static BackupHistoryFileName of(long timeline, Lsn start, WalSegmentSize size) {
        return new BackupHistoryFileName(SegmentFileName.containing(timeline, start, size), start.offsetInSegment(size));
    }

    /**
     * Parses {@code <24 upper-case hex digits>.<8 upper-case hex digits>.backup}.
     *
     * @throws IllegalArgumentException {@code malformed WAL file name '<name>': <reason>}
     */
    public static BackupHistoryFileName parse(String name) {
        Objects.requireNonNull(name, "name");
        WalNames.requireBareName(name);
        if (name.length() != LENGTH || name.charAt(SegmentFileName.LENGTH) != '.' || !name.endsWith(SUFFIX)) {
            throw WalNames.malformed(name, "expected 24 upper-case hex digits, '.', 8 upper-case hex digits and " + SUFFIX);
        }
        SegmentFileName segment = SegmentFileName.parseDigits(name, 0);
        long offset = WalNames.hex8At(name, SegmentFileName.LENGTH + 1);
        return new BackupHistoryFileName(segment, offset);
    }

    /**
     * The backup's start LSN.
     *
     * @throws IllegalArgumentException if the offset does not fit in a segment of this size
     */
    public Lsn startLsn(WalSegmentSize size) {
        if (offset >= size.bytes()) {
            throw new IllegalArgumentException("backup history file " + fileName() + " has offset " + WalNames.hex8(offset)
                    + ", beyond the end of a " + size + " segment");
        }
        return segment.startLsn(size).plus(offset);
    }

    @Override
    public String fileName() {
        return segment.fileName() + '.' + WalNames.hex8(offset) + SUFFIX;
    }

    @Override
    public long timeline() {
        return segment.timeline();
    }

    @Override
    public String toString() {
        return fileName();
    }
}
