package io.walstash.core.retention;

import io.walstash.core.archive.RepositoryLayout;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.PartialSegmentFileName;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.util.Objects;
import java.util.Optional;

/** One stored WAL object: its key, the WAL file it holds, and its stored size. */
public record WalObject(String key, WalFileName name, long size) {
    public WalObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(name, "name");
    }

    /**
     * The WAL object under {@code wal/} or WAL-G's {@code wal_005/} that {@code object} is, or empty
     * for a key that holds no WAL file name (left alone by retention).
     */
    public static Optional<WalObject> of(ObjectInfo object) {
        String key = object.key();
        String rest;
        if (key.startsWith(RepositoryLayout.WAL_PREFIX)) {
            rest = key.substring(RepositoryLayout.WAL_PREFIX.length());
        } else if (key.startsWith(RepositoryLayout.WALG_WAL_PREFIX)) {
            rest = key.substring(RepositoryLayout.WALG_WAL_PREFIX.length());
        } else {
            return Optional.empty();
        }
        // <WAL file name>.<codec extension>; the name itself may hold dots (.partial, .history, .backup),
        // and WAL-G may store a file without an extension: the whole rest is tried first, since
        // "X.partial" must not be read as segment X with an extension "partial"
        int dot = rest.lastIndexOf('.');
        for (String candidate : dot > 0 ? new String[] {rest, rest.substring(0, dot)} : new String[] {rest}) {
            if (WalFileName.isWalFileName(candidate)) {
                return Optional.of(new WalObject(key, WalFileName.parse(candidate), object.size()));
            }
        }
        return Optional.empty();
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
