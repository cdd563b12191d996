package io.walstash.core.retention;

import io.walstash.core.archive.RepositoryLayout;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One listing of a repository, what the retention planners work from: the finished backups, the
 * other folders under {@code backups/}, and the WAL objects.
 */
public record RepositoryListing(List<BackupEntry> backups, List<BackupFolder> otherFolders, List<WalObject> wal) {
    public RepositoryListing {
        backups = List.copyOf(backups);
        otherFolders = List.copyOf(otherFolders);
        wal = List.copyOf(wal);
    }

    /** Lists {@code backups/}, {@code wal/} and {@code wal_005/} and reads every finished backup's manifest. */
    public static RepositoryListing scan(Storage storage) throws IOException {
        Map<String, List<ObjectInfo>> folders = new TreeMap<>();
        try (Stream<ObjectInfo> objects = storage.list(BackupCatalog.PREFIX)) {
            objects.forEach(o -> {
                String rest = o.key().substring(BackupCatalog.PREFIX.length());
                int slash = rest.indexOf('/');
                if (slash > 0) {
                    folders.computeIfAbsent(rest.substring(0, slash), n -> new ArrayList<>()).add(o);
                }
            });
        }
        List<BackupEntry> backups = new ArrayList<>();
        List<BackupFolder> other = new ArrayList<>();
        for (Map.Entry<String, List<ObjectInfo>> folder : folders.entrySet()) {
            String name = folder.getKey();
            List<ObjectInfo> objects = folder.getValue();
            boolean manifest = has(objects, BackupCatalog.manifestKey(name));
            boolean deleted = has(objects, BackupCatalog.deletedKey(name));
            if (manifest && !deleted) {
                BackupManifest m = readManifest(storage, name);
                if (m == null) { // deleted between the listing and the read: an unfinished folder now
                    other.add(new BackupFolder(name, false, false, objects));
                } else {
                    backups.add(BackupEntry.of(m, has(objects, BackupCatalog.permanentKey(name)), objects));
                }
            } else {
                other.add(new BackupFolder(name, manifest, deleted, objects));
            }
        }
        List<WalObject> wal = new ArrayList<>();
        for (String prefix : List.of(RepositoryLayout.WAL_PREFIX, RepositoryLayout.WALG_WAL_PREFIX)) {
            try (Stream<ObjectInfo> objects = storage.list(prefix)) {
                objects.forEach(o -> WalObject.of(o).ifPresent(wal::add));
            }
        }
        return new RepositoryListing(backups, other, wal);
    }

    private static boolean has(List<ObjectInfo> objects, String key) {
        return objects.stream().anyMatch(o -> o.key().equals(key));
    }

    private static BackupManifest readManifest(Storage storage, String name) throws IOException {
        try (InputStream in = storage.read(BackupCatalog.manifestKey(name))) {
            return BackupManifest.parse(in.readAllBytes());
        } catch (NoSuchObjectException e) {
            return null;
        } catch (IOException e) {
            throw new IOException("cannot read the manifest of backup " + name + ": " + e.getMessage(), e);
        }
    }
}
