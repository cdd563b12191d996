package io.walstash.core.wal;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code <segment>.partial}: a segment that was not finished on its timeline. PostgreSQL archives
 * one at the end of archive recovery, for the last segment of the old timeline, and
 * {@code pg_receivewal} writes them while streaming.
 */
public record PartialSegmentFileName(SegmentFileName segment) implements WalFileName {
    static final String SUFFIX = ".partial";

    public PartialSegmentFileName {
        Objects.requireNonNull(segment, "segment");
    }

    /**
     * Parses {@code <24 upper-case hex digits>.partial}.
     *
     * @throws IllegalArgumentException {@code malformed WAL file name '<name>': <reason>}
     */
    public static PartialSegmentFileName parse(String name) {
        Objects.requireNonNull(name, "name");
        WalNames.requireBareName(name);
        if (name.length() != SegmentFileName.LENGTH + SUFFIX.length() || !name.endsWith(SUFFIX)) {
            throw WalNames.malformed(name, "expected 24 upper-case hex digits followed by " + SUFFIX);
        }
        return new PartialSegmentFileName(SegmentFileName.parseDigits(name, 0));
    }

    @Override
    public String fileName() {
        return segment.fileName() + SUFFIX;
    }

    @Override
    public long timeline() {
        return segment.timeline();
    }

    @Override
    public Optional<SegmentFileName> contentSegment() {
        return Optional.of(segment);
    }

    @Override
    public String toString() {
        return fileName();
    }
}
