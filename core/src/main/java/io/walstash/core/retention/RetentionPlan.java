package io.walstash.core.retention;

import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.wal.SegmentFileName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a {@code delete} run keeps and deletes, computed by {@link RetentionPlanner} and applied by
 * {@link RetentionExecutor}. Immutable; the same listing in any order gives an equal plan.
 *
 * @param policy    the policy as typed, such as {@code retain FULL 2}
 * @param kept      every backup kept, in backup time order, each with why
 * @param deletions backup folders to delete, in the order they must go: folders an interrupted run
 *                  marked first, then deltas before the backups they are built on
 * @param wal       WAL objects to delete, by key
 * @param notes     what a reader of the plan should know (why no WAL goes, folders left alone)
 */
public record RetentionPlan(String policy, List<Kept> kept, List<Deletion> deletions, List<WalObject> wal,
                            List<String> notes) {
    public RetentionPlan {
        Objects.requireNonNull(policy, "policy");
        kept = List.copyOf(kept);
        deletions = List.copyOf(deletions);
        wal = List.copyOf(wal);
        notes = List.copyOf(notes);
    }

    /** A backup that stays, and why. */
    public record Kept(BackupEntry backup, String reason) {
        public Kept {
            Objects.requireNonNull(backup, "backup");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * A folder under {@code backups/} to delete.
     *
     * @param backup  the finished backup it holds, or null for a folder that is no backup (marked
     *                by an interrupted delete, or unfinished)
     * @param objects its objects as listed when planning
     */
    public record Deletion(String name, String reason, BackupEntry backup, List<ObjectInfo> objects) {
        public Deletion {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(reason, "reason");
            objects = List.copyOf(objects);
        }

        public long bytes() {
            return objects.stream().mapToLong(ObjectInfo::size).sum();
        }
    }

    /** The WAL to delete on one timeline: the first and last name, how many objects and bytes. */
    public record WalRange(long timeline, String first, String last, int files, long bytes) {
    }

    /** The WAL to delete, summed up per timeline (history files count on their own timeline). */
    public List<WalRange> walRanges() {
        Map<Long, List<WalObject>> byTimeline = new TreeMap<>();
        for (WalObject w : wal) {
            byTimeline.computeIfAbsent(w.name().timeline(), t -> new ArrayList<>()).add(w);
        }
        List<WalRange> ranges = new ArrayList<>();
        byTimeline.forEach((timeline, objects) -> {
            List<String> names = objects.stream().map(w -> w.segment().map(SegmentFileName::fileName)
                    .orElse(w.name().fileName())).sorted().toList();
            ranges.add(new WalRange(timeline, names.get(0), names.get(names.size() - 1), objects.size(),
                    objects.stream().mapToLong(WalObject::size).sum()));
        });
        return ranges;
    }

    public long walBytes() {
        return wal.stream().mapToLong(WalObject::size).sum();
    }

    public long backupBytes() {
        return deletions.stream().mapToLong(Deletion::bytes).sum();
    }

    public boolean isEmpty() {
        return deletions.isEmpty() && wal.isEmpty();
    }
}
