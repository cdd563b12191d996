package io.walstash.core.retention;

import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.PartialSegmentFileName;
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
        WalFileName n = name;
        if (n instanceof SegmentFileName s) {
            return Optional.of(s);
        }
        if (n instanceof PartialSegmentFileName p) {
            return Optional.of(p.segment());
        }
        if (n instanceof BackupHistoryFileName b) {
            return Optional.of(b.segment());
        }
        if (n instanceof HistoryFileName) {
            return Optional.empty();
        }
        throw new IllegalStateException("unknown WAL file kind " + n);
    }
}
