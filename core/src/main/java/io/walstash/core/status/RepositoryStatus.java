package io.walstash.core.status;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.crypto.Keyring;
import io.walstash.core.crypto.KeyringStore;
import io.walstash.core.repository.BackupFolders;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.SegmentFileName;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a repository holds and how fresh it is, observed at one instant: the newest archived WAL
 * segment, the backups, and (when configured) the local spool and PostgreSQL's own archiver view.
 *
 * @param storage    the repository URI without credentials, query or fragment (safe to print)
 * @param observedAt when the status was gathered; every age is relative to it
 * @param spool      present when a spool directory is configured
 * @param archiver   present when a PostgreSQL connection is configured
 */
public record RepositoryStatus(String storage, Instant observedAt, Wal wal, Backups backups,
                               Optional<Spool> spool, Optional<PgArchiver> archiver, Optional<Encryption> encryption) {

    public RepositoryStatus {
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(observedAt, "observedAt");
        Objects.requireNonNull(wal, "wal");
        Objects.requireNonNull(backups, "backups");
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(archiver, "archiver");
        Objects.requireNonNull(encryption, "encryption");
    }

    /**
     * An encrypted repository (it holds a keyring): since when, and the objects holding content
     * (WAL under {@code wal/}, backups' files and file lists) still stored clear, written before.
     */
    public record Encryption(long keyringGeneration, Instant since, long clearObjects, long clearBytes) {
    }

    /**
     * The WAL objects under {@code wal/} and WAL-G's {@code wal_005/}.
     *
     * @param objects     every WAL object (segments, partial segments, history and backup-history files)
     * @param segments    complete segments among them
     * @param storedBytes their stored (compressed) size
     */
    public record Wal(long objects, long segments, long storedBytes, Optional<Archived> lastArchived) {
    }

    /** The highest segment (by timeline, then position) and when its object was stored. */
    public record Archived(String name, String key, Instant modified, Duration age) {
    }

    /**
     * @param count       finished backups (with a manifest)
     * @param unfinished  folders without a manifest: backups running now or abandoned
     * @param storedBytes every object under {@code backups/}, finished or not
     * @param list        every finished backup, oldest first
     */
    public record Backups(int count, int unfinished, long storedBytes, Optional<Newest> newest, List<BackupSize> list) {
        public Backups {
            list = List.copyOf(list);
        }
    }

    /** The backup that stopped last, and how long ago. */
    public record Newest(String name, Instant stopTime, Duration age) {
    }

    /** @param storedBytes the objects in the backup's own folder (a delta's inherited files are its base's) */
    public record BackupSize(String name, boolean delta, boolean permanent, Instant stopTime, long storedBytes) {
    }

    /** What waits in the spool directory; {@code oldestAge} is empty when nothing waits. */
    public record Spool(String directory, int files, long bytes, Optional<Duration> oldestAge) {
    }

    /** Lists the repository's WAL and backups and adds the given spool and archiver views; judging is {@link HealthThresholds}'s. */
    public static RepositoryStatus gather(Storage storage, Optional<SpoolBacklog> spool, Optional<PgArchiver> archiver,
                                          Clock clock) throws IOException {
        Instant now = clock.instant();
        WalIndex index = WalIndex.list(storage);
        BackupFolders folders = BackupFolders.list(storage);
        Wal wal = wal(index, now);
        Backups backups = backups(storage, folders, now);
        Optional<Spool> spooled = spool.map(s -> new Spool(s.directory().toString(), s.count(), s.bytes(),
                s.oldest().map(t -> age(t, now))));
        return new RepositoryStatus(safeUri(storage.location()), now, wal, backups, spooled, archiver,
                encryption(storage, index, folders));
    }

    /** Objects written this close to the keyring's creation are read (their first bytes) rather than judged by time. */
    private static final Duration NEAR = Duration.ofMinutes(2);

    /**
     * Counts content objects stored clear by their time: none can be encrypted before the keyring
     * existed, and none written after it is clear (a push without the key is refused then); the few
     * written near that moment (clock skew, a writer that had just found no keyring) have their
     * first bytes read.
     */
    private static Optional<Encryption> encryption(Storage storage, WalIndex index, BackupFolders folders) throws IOException {
        Optional<Keyring.Envelope> keyring = KeyringStore.envelope(storage);
        if (keyring.isEmpty()) {
            return Optional.empty();
        }
        Instant since = keyring.get().since();
        List<ObjectInfo> content = new ArrayList<>();
        index.entries().forEach(e -> content.add(new ObjectInfo(e.key(), e.size(), e.stored())));
        folders.folders().forEach(f -> content.addAll(f.objects()));
        long objects = 0;
        long bytes = 0;
        for (ObjectInfo object : content) {
            if (!RepositoryLayout.holdsContent(object.key()) || object.lastModified().isAfter(since.plus(NEAR))) {
                continue;
            }
            if (object.lastModified().isBefore(since.minus(NEAR)) || !KeyringStore.encrypted(storage, object.key())) {
                objects++;
                bytes += object.size();
            }
        }
        return Optional.of(new Encryption(keyring.get().generation(), since, objects, bytes));
    }

    /** A URI as it may be shown: no user info, query, fragment (an Azure SAS token would be a query) or trailing '/'. */
    public static String safeUri(URI uri) {
        if (uri.isOpaque()) {
            return uri.getScheme() + ":";
        }
        String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority();
        authority = authority.substring(authority.lastIndexOf('@') + 1);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        // file:///srv/repo and file:///srv/repo/ are one repository: one label in metrics and messages
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return uri.getScheme() + "://" + authority + path;
    }

    static Duration age(Instant then, Instant now) {
        Duration age = Duration.between(then, now);
        // a clock ahead of ours (another host's) must not show as a negative age
        return age.isNegative() ? Duration.ZERO : age;
    }

    private static Wal wal(WalIndex index, Instant now) {
        long segments = index.entries().stream().filter(e -> e.name() instanceof SegmentFileName).count();
        Optional<Archived> last = index.newestSegment().map(e -> new Archived(e.name().fileName(), e.key(),
                e.stored(), age(e.stored(), now)));
        return new Wal(index.entries().size(), segments, index.storedBytes(), last);
    }

    private static Backups backups(Storage storage, BackupFolders folders, Instant now) throws IOException {
        List<BackupCatalog.Backup> finished = new BackupCatalog(storage).list();
        List<BackupSize> sizes = new ArrayList<>();
        for (BackupCatalog.Backup backup : finished) {
            BackupManifest m = backup.manifest();
            sizes.add(new BackupSize(m.name(), m.isDelta(), backup.permanent(), instant(m.stopTime()),
                    folders.folder(m.name()).map(BackupFolders.Folder::storedBytes).orElse(0L)));
        }
        Optional<Newest> newest = sizes.stream().max(Comparator.comparing(BackupSize::stopTime))
                .map(b -> new Newest(b.name(), b.stopTime(), age(b.stopTime(), now)));
        int unfinished = (int) folders.folders().stream()
                .filter(f -> finished.stream().noneMatch(b -> b.name().equals(f.name()))).count();
        return new Backups(finished.size(), unfinished, folders.storedBytes(), newest, sizes);
    }

    /** Manifests record ISO-8601 instants; an offset form is read too, for manifests written by hand or by later tools. */
    private static Instant instant(String text) throws IOException {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException | NullPointerException e) {
            try {
                return OffsetDateTime.parse(String.valueOf(text)).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IOException("backup manifest has an unreadable stop time '" + text + "'");
            }
        }
    }
}
