package io.walstash.core.retention;

import io.walstash.core.storage.ObjectInfo;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A folder under {@code backups/} that is not a listable backup: one an interrupted delete marked
 * ({@code deleted} object present), or one without a manifest (unfinished, or a backup-push still
 * running).
 */
public record BackupFolder(String name, boolean hasManifest, boolean markedDeleted, List<ObjectInfo> objects) {
    public BackupFolder {
        Objects.requireNonNull(name, "name");
        // sorted: storages list in no promised order, and a plan must not depend on it
        objects = objects == null ? List.of() : objects.stream().sorted(Comparator.comparing(ObjectInfo::key)).toList();
    }

    /** When the newest object was written; the epoch for an empty list. */
    public Instant newest() {
        return objects.stream().map(ObjectInfo::lastModified).max(Instant::compareTo).orElse(Instant.EPOCH);
    }

    public long bytes() {
        return objects.stream().mapToLong(ObjectInfo::size).sum();
    }
}
