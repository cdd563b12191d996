package io.walstash.core.verify;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.ChainFiles;
import io.walstash.core.backup.StoredObjects;
import io.walstash.core.codec.Codecs;
import io.walstash.core.progress.WorkProgress;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks that backups can be restored: every object each file of the backup is restored from
 * (through its delta chain, as {@link ChainFiles} picks them) exists with the manifest's stored
 * size and gives the manifest's plain length and SHA-256 when decoded (the check backup-fetch
 * makes), and the WAL from the backup's start to its stop LSN is archived and passes its checksum
 * and segment checks. Optionally it restores the backup and starts PostgreSQL on it ({@link RestoreTest}).
 * Objects shared by several backups of one run are read once.
 */
public final class BackupVerifier {
    private final Storage storage;
    private final Codecs codecs;
    private final int concurrency;
    private final PrintWriter log;
    private final Map<String, Optional<String>> checked = new ConcurrentHashMap<>();
    private final Map<String, Long> plainBytes = new ConcurrentHashMap<>();
    private final WorkProgress progress;

    public BackupVerifier(Storage storage, Codecs codecs, int concurrency, PrintWriter log) {
        this(storage, codecs, concurrency, log, WorkProgress.NONE);
    }

    /** @param progress told of each backup object checked (its plain size), per backup verified */
    public BackupVerifier(Storage storage, Codecs codecs, int concurrency, PrintWriter log, WorkProgress progress) {
        this.progress = progress;
        this.storage = storage;
        this.codecs = codecs;
        this.concurrency = concurrency;
        this.log = log;
    }

    /** @param restoreTest run after a backup passed its object and WAL checks, or null for none */
    public BackupReport verify(List<BackupManifest> backups, RestoreTest restoreTest) throws IOException {
        BackupCatalog catalog = new BackupCatalog(storage);
        Optional<RepositoryMarker> marker = RepositoryMarker.read(storage);
        WalIndex.Readable wal = WalIndex.list(storage).readable(codecs);
        RepositoryFacts facts = RepositoryFacts.of(storage, marker, wal, catalog.list());
        WalObjectCheck walCheck = new WalObjectCheck(storage, facts.segmentSize(), facts.systemIdentifier(),
                marker.map(RepositoryMarker::postgresMajorVersion).orElse(OptionalInt.empty()));
        List<BackupReport.Result> results = new ArrayList<>();
        for (BackupManifest backup : backups) {
            results.add(verify(catalog, backup, wal, walCheck, facts.segmentSize(), restoreTest));
        }
        return new BackupReport(results);
    }

    private BackupReport.Result verify(BackupCatalog catalog, BackupManifest listed, WalIndex.Readable wal,
                                       WalObjectCheck walCheck, WalSegmentSize size, RestoreTest restoreTest)
            throws IOException {
        BackupManifest backup = catalog.content(listed);
        log.printf("walstash: verifying %s%n", backup.name());
        log.flush();
        List<BackupManifest> chain = catalog.chain(backup);
        ChainFiles files = ChainFiles.of(chain);
        List<CorruptObject> corrupt = new ArrayList<>();
        Map<String, BackupManifest.FileEntry> objects = new LinkedHashMap<>();
        for (BackupManifest.FileEntry entry : backup.files()) {
            try {
                files.sources(entry.path()).forEach(source -> objects.putIfAbsent(stored(source), source));
            } catch (IOException e) {
                corrupt.add(new CorruptObject(entry.path(), e.getMessage()));
            }
        }
        progress.begin("verify " + backup.name(), objects.size(),
                objects.values().stream().mapToLong(BackupManifest.FileEntry::size).sum());
        // a bundle's members (small files stored together) are checked in one read of it, as a restore reads them
        List<List<BackupManifest.FileEntry>> units = new ArrayList<>();
        Map<String, List<BackupManifest.FileEntry>> bundles = new LinkedHashMap<>();
        for (BackupManifest.FileEntry entry : objects.values()) {
            if (entry.bundled()) {
                bundles.computeIfAbsent(entry.objectKey(), key -> {
                    List<BackupManifest.FileEntry> members = new ArrayList<>();
                    units.add(members);
                    return members;
                }).add(entry);
            } else {
                units.add(List.of(entry));
            }
        }
        try {
            Parallel.forEach(units, concurrency, unit -> {
                if (unit.get(0).bundled()) {
                    checkBundle(unit.get(0).objectKey(), unit.stream().filter(e -> !checked.containsKey(stored(e))).toList());
                } else {
                    checked.computeIfAbsent(stored(unit.get(0)), key -> checkObject(unit.get(0)));
                }
                progress.advance(unit.size(), unit.stream().mapToLong(BackupManifest.FileEntry::size).sum());
            });
        } finally {
            progress.end();
        }
        objects.forEach((key, entry) -> checked.get(key).ifPresent(p -> corrupt.add(new CorruptObject(entry.objectKey(), p))));
        long bytes = objects.keySet().stream().mapToLong(k -> plainBytes.getOrDefault(k, 0L)).sum();

        List<String> missingWal = new ArrayList<>();
        List<CorruptObject> corruptWal = new ArrayList<>();
        long timeline = backup.timeline();
        long from = Lsn.parse(backup.startLsn()).segmentNumber(size);
        long to = Lsn.parse(backup.stopLsn()).segmentNumber(size);
        List<WalIndex.StoredWal> segments = new ArrayList<>();
        for (long n = from; n <= to; n++) {
            SegmentFileName name = SegmentFileName.of(timeline, n, size);
            wal.segment(name).ifPresentOrElse(segments::add, () -> missingWal.add(name.fileName()));
        }
        Parallel.map(segments, concurrency, walCheck::check).forEach((segment, outcome) ->
                outcome.problem().ifPresent(p -> corruptWal.add(new CorruptObject(segment.key(),
                        p.contains(segment.key()) ? p : "object " + segment.key() + " " + p))));

        RestoreTest.Result restored = null;
        String skipped = null;
        if (restoreTest != null) {
            if (corrupt.isEmpty() && missingWal.isEmpty() && corruptWal.isEmpty()) {
                restored = restoreTest.run(backup);
            } else {
                skipped = "not restored: the backup failed its object or WAL checks";
            }
        }
        return new BackupReport.Result(backup.name(), chain.stream().map(BackupManifest::name).toList(),
                objects.size(), bytes, corrupt, missingWal, corruptWal, restored, skipped);
    }

    /**
     * What {@code entry}'s bytes are stored as: its object's key, and for a member of a bundle
     * (several files in one object) also where in it.
     */
    private static String stored(BackupManifest.FileEntry entry) {
        return entry.bundled() ? entry.objectKey() + "@" + entry.storedOffset() : entry.objectKey();
    }

    /**
     * Checks {@code members} of bundle {@code key} in one read of it (see {@link StoredObjects#readBundle});
     * those the pass leaves (from a member that read damaged on) are checked alone, each with a
     * range read, so that bytes damaged on the way are not reported as damaged at rest.
     */
    private void checkBundle(String key, List<BackupManifest.FileEntry> members) throws IOException {
        if (members.isEmpty()) {
            return;
        }
        Optional<ObjectInfo> info = storage.stat(key);
        List<BackupManifest.FileEntry> inside = new ArrayList<>();
        for (BackupManifest.FileEntry member : members) {
            Optional<String> problem = placementProblem(member, info);
            if (problem.isPresent()) {
                checked.put(stored(member), problem);
            } else {
                inside.add(member);
            }
        }
        StoredObjects.BundlePass<BackupManifest.FileEntry> pass = StoredObjects.readBundle(storage, codecs, key, inside,
                member -> member, (member, plain) -> {
                    plainBytes.put(stored(member), WalObjectCheck.drain(plain));
                    checked.put(stored(member), Optional.empty());
                });
        for (BackupManifest.FileEntry member : pass.alone()) {
            checked.put(stored(member), checkObject(member));
        }
    }

    /**
     * Whether {@code entry}'s object ({@code info}, empty when missing) is there and can hold its
     * stored bytes where the manifest places them.
     */
    private static Optional<String> placementProblem(BackupManifest.FileEntry entry, Optional<ObjectInfo> info) {
        if (info.isEmpty()) {
            return Optional.of("object " + entry.objectKey() + " is missing");
        }
        long size = info.get().size();
        if (entry.bundled() ? size - entry.storedSize() < entry.storedOffset() : size != entry.storedSize()) {
            return Optional.of("object " + entry.objectKey() + " has " + size + " bytes, the manifest records "
                    + entry.storedSize() + (entry.bundled() ? " at offset " + entry.storedOffset() : ""));
        }
        return Optional.empty();
    }

    /** Empty when the object is intact; otherwise its problem, naming its key. */
    private Optional<String> checkObject(BackupManifest.FileEntry entry) {
        try {
            Optional<String> misplaced = placementProblem(entry, storage.stat(entry.objectKey()));
            if (misplaced.isPresent()) {
                return misplaced;
            }
            try (InputStream in = StoredObjects.open(storage, codecs, entry)) {
                plainBytes.put(stored(entry), WalObjectCheck.drain(in));
            }
            return Optional.empty();
        } catch (CorruptObjectException e) {
            return Optional.of(e.getMessage());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
