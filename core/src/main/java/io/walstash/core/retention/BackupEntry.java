package io.walstash.core.retention;

import io.walstash.core.backup.BackupManifest;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What retention needs to know of one finished backup.
 *
 * @param startWal  the segment holding the start LSN, on the backup's timeline
 * @param stopWal   the last segment the backup needs ({@code pg_walfile_name} of the stop LSN)
 * @param deltaBase the backup this delta applies to, or null for a full backup
 * @param permanent whether the {@code permanent} marker object exists
 * @param objects   the objects in the backup's folder as listed (may be empty where unknown)
 */
public record BackupEntry(String name, String deltaBase, long timeline, Lsn startLsn, Lsn stopLsn,
                          SegmentFileName startWal, SegmentFileName stopWal, Instant startTime, Instant stopTime,
                          boolean permanent, long storedSize, List<ObjectInfo> objects) {

    /**
     * Backup time order: by stop time, then start time, then start LSN; timeline and name only
     * break exact ties so that the order is total. Never by name first: after a major-version
     * upgrade the new cluster's backups are on timeline 1 and sort before the old ones by name.
     */
    public static final Comparator<BackupEntry> TIME_ORDER = Comparator.comparing(BackupEntry::stopTime)
            .thenComparing(BackupEntry::startTime)
            .thenComparing(BackupEntry::startLsn)
            .thenComparingLong(BackupEntry::timeline)
            .thenComparing(BackupEntry::name);

    public BackupEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(startLsn, "startLsn");
        Objects.requireNonNull(stopLsn, "stopLsn");
        Objects.requireNonNull(startWal, "startWal");
        Objects.requireNonNull(stopWal, "stopWal");
        Objects.requireNonNull(startTime, "startTime");
        Objects.requireNonNull(stopTime, "stopTime");
        // sorted: storages list in no promised order, and a plan must not depend on it
        objects = objects == null ? List.of() : objects.stream().sorted(Comparator.comparing(ObjectInfo::key)).toList();
        if (name.equals(deltaBase)) {
            throw new IllegalArgumentException("backup " + name + " names itself as its delta base");
        }
    }

    /** From a manifest as stored; a manifest without times or WAL files is refused by name. */
    public static BackupEntry of(BackupManifest m, boolean permanent, List<ObjectInfo> objects) {
        try {
            Instant start = Instant.parse(Objects.requireNonNull(m.startTime(), "startTime"));
            Instant stop = m.stopTime() == null ? start : Instant.parse(m.stopTime());
            SegmentFileName startWal = SegmentFileName.parse(Objects.requireNonNull(m.startWalFile(), "startWalFile"));
            SegmentFileName stopWal = m.stopWalFile() == null ? startWal : SegmentFileName.parse(m.stopWalFile());
            Lsn startLsn = Lsn.parse(Objects.requireNonNull(m.startLsn(), "startLsn"));
            Lsn stopLsn = m.stopLsn() == null ? startLsn : Lsn.parse(m.stopLsn());
            return new BackupEntry(m.name(), m.deltaBase(), m.timeline(), startLsn, stopLsn, startWal, stopWal, start,
                    stop, permanent, m.storedSize(), objects);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("manifest of backup " + m.name() + " is unusable for retention: "
                    + e.getMessage(), e);
        }
    }

    public boolean isDelta() {
        return deltaBase != null;
    }

    /** Bytes of the listed objects, or the manifest's stored size when nothing was listed. */
    public long bytes() {
        return objects.isEmpty() ? storedSize : objects.stream().mapToLong(ObjectInfo::size).sum();
    }
}
