package io.walstash.core.status;

import io.walstash.core.archive.RepositoryLayout;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

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
                               Optional<Spool> spool, Optional<PgArchiver> archiver) {

    public RepositoryStatus {
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(observedAt, "observedAt");
        Objects.requireNonNull(wal, "wal");
        Objects.requireNonNull(backups, "backups");
        Objects.requireNonNull(spool, "spool");
        Objects.requireNonNull(archiver, "archiver");
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
        Wal wal = wal(storage, now);
        Backups backups = backups(storage, now);
        Optional<Spool> spooled = spool.map(s -> new Spool(s.directory().toString(), s.count(), s.bytes(),
                s.oldest().map(t -> age(t, now))));
        return new RepositoryStatus(safeUri(storage.location()), now, wal, backups, spooled, archiver);
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

    private static Wal wal(Storage storage, Instant now) throws IOException {
        long[] objects = new long[1];
        long[] segments = new long[1];
        long[] bytes = new long[1];
        ObjectInfo[] best = new ObjectInfo[1];
        SegmentFileName[] bestName = new SegmentFileName[1];
        for (String prefix : List.of(RepositoryLayout.WAL_PREFIX, RepositoryLayout.WALG_WAL_PREFIX)) {
            try (Stream<ObjectInfo> listed = storage.list(prefix)) {
                listed.forEach(object -> {
                    String leaf = object.key().substring(prefix.length());
                    Optional<WalFileName> name = walName(leaf);
                    if (name.isEmpty()) {
                        return;
                    }
                    objects[0]++;
                    bytes[0] += object.size();
                    if (name.get() instanceof SegmentFileName segment) {
                        segments[0]++;
                        int order = bestName[0] == null ? 1 : segment.compareTo(bestName[0]);
                        // the same segment in both folders: the later copy is the one that shows progress
                        if (order > 0 || order == 0 && object.lastModified().isAfter(best[0].lastModified())) {
                            bestName[0] = segment;
                            best[0] = object;
                        }
                    }
                });
            }
        }
        Optional<Archived> last = best[0] == null ? Optional.empty() : Optional.of(new Archived(bestName[0].fileName(),
                best[0].key(), best[0].lastModified(), age(best[0].lastModified(), now)));
        return new Wal(objects[0], segments[0], bytes[0], last);
    }

    /** The WAL file an object under a WAL folder holds: {@code <name>.<codec extension>}, or a bare name. */
    static Optional<WalFileName> walName(String leaf) {
        if (leaf.indexOf('/') >= 0) {
            return Optional.empty();
        }
        if (WalFileName.isWalFileName(leaf)) {
            return Optional.of(WalFileName.parse(leaf));
        }
        int dot = leaf.lastIndexOf('.');
        if (dot > 0 && WalFileName.isWalFileName(leaf.substring(0, dot))) {
            return Optional.of(WalFileName.parse(leaf.substring(0, dot)));
        }
        return Optional.empty();
    }

    private static Backups backups(Storage storage, Instant now) throws IOException {
        Map<String, Long> folderBytes = new HashMap<>();
        long total = 0;
        try (Stream<ObjectInfo> listed = storage.list(BackupCatalog.PREFIX)) {
            for (ObjectInfo object : (Iterable<ObjectInfo>) listed::iterator) {
                total += object.size();
                String rest = object.key().substring(BackupCatalog.PREFIX.length());
                int slash = rest.indexOf('/');
                if (slash > 0) {
                    folderBytes.merge(rest.substring(0, slash), object.size(), Long::sum);
                }
            }
        }
        List<BackupCatalog.Backup> finished = new BackupCatalog(storage).list();
        List<BackupSize> sizes = new ArrayList<>();
        for (BackupCatalog.Backup backup : finished) {
            BackupManifest m = backup.manifest();
            sizes.add(new BackupSize(m.name(), m.isDelta(), backup.permanent(), instant(m.stopTime()),
                    folderBytes.getOrDefault(m.name(), 0L)));
        }
        Optional<Newest> newest = sizes.stream().max(Comparator.comparing(BackupSize::stopTime))
                .map(b -> new Newest(b.name(), b.stopTime(), age(b.stopTime(), now)));
        int unfinished = (int) folderBytes.keySet().stream()
                .filter(name -> finished.stream().noneMatch(b -> b.name().equals(name))).count();
        return new Backups(finished.size(), unfinished, total, newest, sizes);
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
