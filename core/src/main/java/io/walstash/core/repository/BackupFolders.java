package io.walstash.core.repository;

import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The folders under {@code backups/} as one listing found them, each with its objects and what its
 * markers say. Which folder is a finished backup is the reader's to judge (it needs the manifest).
 */
public final class BackupFolders {

    /** One folder {@code backups/<name>/} and the objects in it, by key. */
    public record Folder(String name, List<ObjectInfo> objects) {
        public Folder {
            Objects.requireNonNull(name, "name");
            objects = List.copyOf(objects);
        }

        /** Lists the one folder of backup {@code name}. */
        public static Folder list(Storage storage, String name) throws IOException {
            try (Stream<ObjectInfo> listed = storage.list(RepositoryLayout.backupFolder(name))) {
                return new Folder(name, listed.sorted(java.util.Comparator.comparing(ObjectInfo::key)).toList());
            }
        }

        /** Its manifest is stored: the backup finished (unless {@link #deleted()}). */
        public boolean hasManifest() {
            return has(RepositoryLayout.manifestKey(name));
        }

        public boolean permanent() {
            return has(RepositoryLayout.permanentKey(name));
        }

        /** Retention's intent marker is there: the folder is being deleted and is no backup. */
        public boolean deleted() {
            return has(RepositoryLayout.deletedKey(name));
        }

        /** The keys of its objects, without the one {@code except} (a marker removed last). */
        public List<String> keysExcept(String except) {
            return objects.stream().map(ObjectInfo::key).filter(k -> !k.equals(except)).toList();
        }

        public long storedBytes() {
            return objects.stream().mapToLong(ObjectInfo::size).sum();
        }

        private boolean has(String key) {
            return objects.stream().anyMatch(o -> o.key().equals(key));
        }
    }

    private final Map<String, Folder> folders;
    private final long storedBytes;

    private BackupFolders(Map<String, Folder> folders, long storedBytes) {
        this.folders = folders;
        this.storedBytes = storedBytes;
    }

    /** Lists {@code backups/}. */
    public static BackupFolders list(Storage storage) throws IOException {
        try (Stream<ObjectInfo> listed = storage.list(RepositoryLayout.BACKUPS_PREFIX)) {
            return of(listed.toList());
        }
    }

    /** The folders of {@code objects}, listed under {@code backups/}; the order they come in does not matter. */
    public static BackupFolders of(Collection<ObjectInfo> objects) {
        Map<String, List<ObjectInfo>> grouped = new TreeMap<>();
        long total = 0;
        for (ObjectInfo object : objects) {
            total += object.size();
            Optional<String> name = RepositoryLayout.backupOf(object.key());
            name.ifPresent(n -> grouped.computeIfAbsent(n, x -> new ArrayList<>()).add(object));
        }
        Map<String, Folder> folders = new TreeMap<>();
        grouped.forEach((name, listed) -> {
            listed.sort(java.util.Comparator.comparing(ObjectInfo::key));
            folders.put(name, new Folder(name, listed));
        });
        return new BackupFolders(java.util.Collections.unmodifiableMap(folders), total);
    }

    /** Every folder, by name. */
    public List<Folder> folders() {
        return List.copyOf(folders.values());
    }

    public Optional<Folder> folder(String name) {
        return Optional.ofNullable(folders.get(name));
    }

    /** Every object under {@code backups/}, in a folder or not. */
    public long storedBytes() {
        return storedBytes;
    }
}
