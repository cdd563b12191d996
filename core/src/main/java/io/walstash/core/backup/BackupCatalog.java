package io.walstash.core.backup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.repository.BackupFolders;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.Lsn;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backups of a repository. Layout: {@code backups/<name>/} holds the backup's objects
 * ({@code files/<path>.<codec extension>}, {@code .delta} before the extension for delta files;
 * {@code bundles/<n>.<codec extension>} for small files stored together),
 * {@code manifest.json} written last (a folder without it is an unfinished backup and is ignored),
 * and an optional empty {@code permanent} object: its presence makes the backup permanent.
 * Marking creates it, unmarking deletes it, so no object is ever overwritten. An empty
 * {@code deleted} object is the intent marker retention creates before it deletes anything of a
 * backup: a folder that has it is no backup, even while its manifest is still there.
 */
public final class BackupCatalog {
    public static final String LATEST = "LATEST";
    /** A manifest lists every file with about 300 bytes each: this is tens of millions of files. */
    static final int MAX_MANIFEST_BYTES = 1 << 30;

    private final Storage storage;
    /**
     * The manifests this catalog has read, by backup name. A stored manifest never changes (it is
     * written last, once, and a backup is only ever deleted, never rewritten), so one catalog
     * reads each at most once: resolving LATEST reads every manifest, and the restore's delta chain
     * then needs the same ones again (parsing and checking a scale-30 manifest took 60-70 ms of a
     * 2.5 s restore). Whether a backup is being deleted is still asked on every {@link #read}.
     */
    private final Map<String, BackupManifest> manifests = new ConcurrentHashMap<>();
    /**
     * Manifest documents {@link #latest} read for their start LSN (checked against their own
     * checksum), kept so that reading the chosen backup and its delta chain whole does not
     * download them again; at most {@link #SCANNED_BYTES} bytes of them.
     */
    private final Map<String, byte[]> scannedManifests = new ConcurrentHashMap<>();
    private static final long SCANNED_BYTES = 64L << 20;
    private long scannedBytes;

    public BackupCatalog(Storage storage) {
        this.storage = storage;
    }

    /** A backup as listed: its manifest and whether it is currently permanent. */
    public record Backup(BackupManifest manifest, boolean permanent) {
        public String name() {
            return manifest.name();
        }
    }

    /** Every finished backup that is not being deleted, oldest first (by start LSN). */
    public List<Backup> list() throws IOException {
        List<Backup> backups = new ArrayList<>();
        for (BackupFolders.Folder folder : BackupFolders.list(storage).folders()) {
            if (folder.hasManifest() && !folder.deleted()) {
                backups.add(new Backup(readListed(folder.name()), folder.permanent()));
            }
        }
        backups.sort(Comparator.comparing((Backup b) -> Lsn.parse(b.manifest().startLsn())).thenComparing(Backup::name));
        return backups;
    }

    /**
     * The manifest of a listed backup; for an encrypted backup without the key, its catalog alone
     * (names, times, LSNs, sizes), which is all that listing, retention and monitoring need.
     */
    private BackupManifest readListed(String name) throws IOException {
        try {
            return readManifest(name);
        } catch (io.walstash.core.crypto.EncryptionKeyException noKey) {
            return readCatalog(name);
        }
    }

    /** The manifest of backup {@code name}; a backup that an interrupted delete marked does not exist. */
    public BackupManifest read(String name) throws IOException {
        BackupManifest manifest = readManifest(name);
        if (storage.stat(RepositoryLayout.deletedKey(name)).isPresent()) {
            throw new NoSuchBackupException("backup " + name + " is being deleted (" + RepositoryLayout.deletedKey(name)
                    + " exists); run delete again to finish");
        }
        return manifest;
    }

    private BackupManifest readManifest(String name) throws IOException {
        BackupManifest known = manifests.get(name);
        if (known != null) {
            return known;
        }
        BackupManifest manifest = readCatalog(name);
        manifest = manifest.sealed() ? unseal(manifest) : manifest;
        manifests.put(name, manifest);
        return manifest;
    }

    /** {@code manifest.json} as stored: the whole manifest, or only the catalog of an encrypted backup. */
    private BackupManifest readCatalog(String name) throws IOException {
        if (!ManifestChecks.isBackupName(name)) {
            throw new NoSuchBackupException("no backup named " + RelativePath.printable(name) + " in " + storage.location());
        }
        BackupManifest manifest;
        byte[] scanned = scannedManifests.remove(name);
        try {
            manifest = scanned != null
                    ? BackupManifest.parse(scanned, "backup " + name + ": " + RepositoryLayout.manifestKey(name))
                    : readStored(storage, name, RepositoryLayout.manifestKey(name));
        } catch (NoSuchObjectException e) {
            throw new NoSuchBackupException("no backup named " + name + " in " + storage.location());
        }
        if (!manifest.name().equals(name)) {
            throw new UnsafeManifestException("backup " + name + ": its manifest names it " + manifest.name());
        }
        return manifest;
    }

    /**
     * The stored manifest document {@code key} of backup {@code name} ({@code manifest.json} or an
     * encrypted backup's {@code content.json}), checked against its own checksum and parsed. Bytes
     * that fail the check (or do not decrypt) are downloaded once more ({@link Storage#readChecked})
     * before they count as a corrupt object, named by backup and key.
     */
    public static BackupManifest readStored(Storage storage, String name, String key) throws IOException {
        // name the object: a flipped byte in a stored manifest must be found by its key
        return storage.readChecked(key, in -> BackupManifest.parse(bounded(in, name, key), "backup " + name + ": " + key));
    }

    /** An encrypted backup's deflated content ({@link BackupManifest#toStoredContent}) under {@code key}, checked and parsed. */
    private BackupManifest readDeflated(String name, String key) throws IOException {
        return storage.readChecked(key, in -> BackupManifest.parseStoredContent(in, MAX_MANIFEST_BYTES,
                "backup " + name + ": " + key));
    }

    /** A stored manifest document's bytes, refused when larger than {@link #MAX_MANIFEST_BYTES}. */
    private static byte[] bounded(InputStream in, String name, String key) throws IOException {
        byte[] json = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        if (json.length > MAX_MANIFEST_BYTES) {
            throw new UnsafeManifestException("backup " + name + ": " + key + " is larger than " + MAX_MANIFEST_BYTES
                    + " bytes");
        }
        return json;
    }

    /**
     * The whole manifest of an encrypted backup: its catalog {@code manifest.json} with the content
     * from its encrypted {@code content.json}. Without the key this fails (an
     * {@link io.walstash.core.crypto.EncryptionKeyException}, naming what to set).
     */
    private BackupManifest unseal(BackupManifest catalog) throws IOException {
        String key = RepositoryLayout.contentKey(catalog.name());
        BackupManifest content;
        try {
            content = catalog.contentDeflated() ? readDeflated(catalog.name(), key) : readStored(storage, catalog.name(), key);
        } catch (NoSuchObjectException e) {
            throw new CorruptObjectException("backup " + catalog.name() + " is encrypted, but its " + key + " is missing");
        }
        if (!catalog.catalogOf(content)) {
            throw new CorruptObjectException("backup " + catalog.name() + ": " + key + " does not match its manifest"
                    + " (another backup's content?)");
        }
        return content.withPermanent(catalog.permanent());
    }

    /**
     * {@code backup} with its content: itself, unless {@link #list} could only read its catalog (an
     * encrypted backup listed without the key), in which case reading it says the key is missing.
     */
    public BackupManifest content(BackupManifest backup) throws IOException {
        return backup.sealed() ? read(backup.name()) : backup;
    }

    public boolean exists(String name) throws IOException {
        return storage.stat(RepositoryLayout.manifestKey(name)).isPresent();
    }

    /** The named backup, or the newest one for {@code LATEST}. */
    public BackupManifest resolve(String nameOrLatest) throws IOException {
        if (LATEST.equalsIgnoreCase(nameOrLatest)) {
            return latest().orElseThrow(() -> new NoSuchBackupException("no backups in " + storage.location()));
        }
        return read(nameOrLatest);
    }

    /**
     * The newest finished backup, as {@link #list} would list it last (by start LSN, then name).
     * Only its manifest is read whole; of the others only the start LSN is read (each manifest
     * still checked against its own checksum, its file list skipped): resolving LATEST used to
     * parse and check every entry of every manifest in the repository, which with six scale-30
     * backups was 0.16 s of a 2.2 s restore (0.3 s CPU), and grows with every backup kept.
     */
    public Optional<BackupManifest> latest() throws IOException {
        String newest = null;
        Lsn newestStart = null;
        for (BackupFolders.Folder folder : BackupFolders.list(storage).folders()) {
            if (!folder.hasManifest() || folder.deleted()) {
                continue;
            }
            Lsn start = startLsn(folder.name());
            if (newest == null || start.compareTo(newestStart) > 0
                    || (start.equals(newestStart) && folder.name().compareTo(newest) > 0)) {
                newest = folder.name();
                newestStart = start;
            }
        }
        return newest == null ? Optional.empty() : Optional.of(readListed(newest));
    }

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * The start LSN backup {@code name}'s manifest records, read without parsing its file list.
     * Anything unexpected (another name, no start LSN, not JSON) is left to reading the manifest
     * whole, which fails with the message it always gave.
     */
    private Lsn startLsn(String name) throws IOException {
        BackupManifest known = manifests.get(name);
        String start = known != null ? known.startLsn() : scannedStartLsn(name);
        if (start != null) {
            try {
                return Lsn.parse(start);
            } catch (IllegalArgumentException e) {
                // read whole below
            }
        }
        return Lsn.parse(readListed(name).startLsn());
    }

    /**
     * The start LSN in backup {@code name}'s manifest document (checked against its own checksum),
     * kept for {@link #readCatalog} within {@link #SCANNED_BYTES}; null when the document is missing
     * or is not what a manifest of that name looks like.
     */
    private String scannedStartLsn(String name) throws IOException {
        if (!ManifestChecks.isBackupName(name)) {
            return null;
        }
        String key = RepositoryLayout.manifestKey(name);
        try {
            return storage.readChecked(key, in -> {
                byte[] json = bounded(in, name, key);
                ManifestDigest.check(json, "backup " + name + ": " + key);
                String found = topLevelStartLsn(json, name);
                if (found != null && scannedBytes + json.length <= SCANNED_BYTES) {
                    scannedBytes += json.length;
                    scannedManifests.put(name, json);
                }
                return found;
            });
        } catch (NoSuchObjectException e) {
            return null;
        }
    }

    /** The top-level {@code startLsn} of a manifest document that names itself {@code name}; null otherwise. */
    private static String topLevelStartLsn(byte[] json, String name) throws IOException {
        String named = null;
        String start = null;
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_STRING && field.equals("name")) {
                    named = parser.getText();
                } else if (value == JsonToken.VALUE_STRING && field.equals("startLsn")) {
                    start = parser.getText();
                } else {
                    parser.skipChildren();
                }
                if (named != null && start != null) {
                    break;
                }
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            return null;
        }
        return name.equals(named) ? start : null;
    }

    /**
     * The chain from the full backup to {@code backup}, full first. Every object a backup of the
     * chain names must be in its own folder or an earlier backup's: a forged key can't make a
     * restore read another backup's (or anything else's) objects.
     */
    public List<BackupManifest> chain(BackupManifest backup) throws IOException {
        List<BackupManifest> chain = new ArrayList<>();
        BackupManifest current = backup;
        chain.add(current);
        Set<String> names = new HashSet<>(Set.of(current.name()));
        while (current.isDelta()) {
            if (chain.size() > 10_000 || !names.add(current.deltaBase())) {
                throw new UnsafeManifestException("backup " + backup.name() + ": its delta chain does not end");
            }
            current = read(current.deltaBase());
            chain.add(0, current);
        }
        Set<String> earlier = new HashSet<>();
        for (BackupManifest m : chain) {
            earlier.add(m.name());
            for (BackupManifest.FileEntry f : m.files()) {
                if (!earlier.contains(RepositoryLayout.backupOf(f.objectKey()).orElse(""))) {
                    throw new UnsafeManifestException("backup " + m.name() + ": file " + f.path() + " is stored as "
                            + f.objectKey() + ", outside the folders of its delta chain");
                }
            }
        }
        return chain;
    }

    /** Marks {@code name} permanent (and, for a delta, every backup it depends on) or removes the mark. */
    public List<String> mark(String name, boolean permanent) throws IOException {
        BackupManifest backup = read(name);
        List<String> changed = new ArrayList<>();
        if (permanent) {
            for (BackupManifest m : chain(backup)) {
                if (storage.createIfAbsent(RepositoryLayout.permanentKey(m.name()), new ByteArrayInputStream(new byte[0]))) {
                    changed.add(m.name());
                }
            }
        } else {
            if (storage.stat(RepositoryLayout.permanentKey(name)).isPresent()) {
                storage.delete(RepositoryLayout.permanentKey(name));
                changed.add(name);
            }
        }
        return changed;
    }

    public boolean isPermanent(String name) throws IOException {
        return storage.stat(RepositoryLayout.permanentKey(name)).isPresent();
    }

    /** Thrown when a named backup does not exist. */
    public static final class NoSuchBackupException extends IOException {
        public NoSuchBackupException(String message) {
            super(message);
        }
    }
}
