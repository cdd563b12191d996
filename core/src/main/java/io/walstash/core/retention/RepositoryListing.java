package io.walstash.core.retention;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.repository.BackupFolders;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.repository.StreamedPartial;
import io.walstash.core.wal.PartialSegmentFileName;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One listing of a repository, what the retention planners work from: the finished backups, the
 * other folders under {@code backups/}, and the WAL objects. A WAL receiver's streamed partials
 * ({@code stream/}) are among the WAL objects as partial segments: their fate follows their
 * segment's, so retention removes them with the WAL around them (a receiver that stopped for good
 * leaves its last open segment's partials behind).
 */
public record RepositoryListing(List<BackupEntry> backups, List<BackupFolder> otherFolders, List<WalObject> wal) {
    public RepositoryListing {
        backups = List.copyOf(backups);
        otherFolders = List.copyOf(otherFolders);
        wal = List.copyOf(wal);
    }

    /** Lists {@code backups/}, {@code wal/} and {@code wal_005/} and reads every finished backup's manifest. */
    public static RepositoryListing scan(Storage storage) throws IOException {
        List<BackupEntry> backups = new ArrayList<>();
        List<BackupFolder> other = new ArrayList<>();
        for (BackupFolders.Folder folder : BackupFolders.list(storage).folders()) {
            String name = folder.name();
            List<ObjectInfo> objects = folder.objects();
            if (folder.hasManifest() && !folder.deleted()) {
                BackupManifest m = readManifest(storage, name);
                if (m == null) { // deleted between the listing and the read: an unfinished folder now
                    other.add(new BackupFolder(name, false, false, objects));
                } else {
                    backups.add(BackupEntry.of(m, folder.permanent(), objects));
                }
            } else {
                other.add(new BackupFolder(name, folder.hasManifest(), folder.deleted(), objects));
            }
        }
        List<WalObject> wal = new ArrayList<>();
        WalIndex.list(storage).entries().forEach(e -> wal.add(new WalObject(e.key(), e.name(), e.size())));
        StreamedPartial.all(storage).forEach(l -> wal.add(new WalObject(l.partial().key(),
                new PartialSegmentFileName(l.partial().segment()), l.size())));
        return new RepositoryListing(backups, other, wal);
    }

    private static BackupManifest readManifest(Storage storage, String name) throws IOException {
        try {
            return BackupCatalog.readStored(storage, name, RepositoryLayout.manifestKey(name));
        } catch (NoSuchObjectException e) {
            return null;
        } catch (IOException e) {
            throw new IOException("cannot read the manifest of backup " + name + ": " + e.getMessage(), e);
        }
    }
}
