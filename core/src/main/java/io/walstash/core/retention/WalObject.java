package io.walstash.core.retention;

import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.util.Objects;
import java.util.Optional;

/** One stored WAL object as retention plans with it: its key, the WAL file it holds ({@code WalIndex} read it), and its stored size. */
public record WalObject(String key, WalFileName name, long size) {
    public WalObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(name, "name");
    }

    /** The segment this object's fate follows, or empty for a timeline history file. */
    public Optional<SegmentFileName> segment() {
        return name.namedSegment();
    }
}
