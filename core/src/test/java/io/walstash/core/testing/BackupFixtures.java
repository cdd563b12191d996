package io.walstash.core.testing;

import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codec;
import io.walstash.core.io.Digests;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes backups into a repository straight through the Storage SPI, objects first and the
 * manifest last as backup-push does, for tests that need real-looking backups but no PostgreSQL.
 * Shared through core's test-jar.
 */
public final class BackupFixtures {
    public static final long SYSTEM_ID = 7301234567890123456L;

    private BackupFixtures() {
    }

    /** A file of a {@link #restorable} backup: the path the manifest gives it, its content and mode. */
    public record FixtureFile(String path, byte[] content, int mode) {
    }

    /**
     * Writes a full backup that really restores: each file's object compressed with {@code codec}
     * under {@code backups/<name>/files/<n>.<ext>}, with its true length and SHA-256, then the
     * manifest (with its checksum, as stored), taken as given (not checked): how tests forge manifests a repository writer could.
     */
    public static BackupManifest restorable(Storage storage, Codec codec, String name, List<FixtureFile> files,
                                            List<BackupManifest.Directory> directories, Map<String, String> tablespaces)
            throws IOException {
        List<BackupManifest.FileEntry> entries = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            FixtureFile file = files.get(i);
            ByteArrayOutputStream stored = new ByteArrayOutputStream();
            try (OutputStream out = codec.compress(stored)) {
                out.write(file.content());
            }
            String key = RepositoryLayout.backupFolder(name) + "files/" + i + "." + codec.fileExtension();
            storage.createIfAbsent(key, new ByteArrayInputStream(stored.toByteArray()));
            String sha = HexFormat.of().formatHex(Digests.sha256().digest(file.content()));
            entries.add(new BackupManifest.FileEntry(file.path(), file.content().length, file.mode(), 0, false, key, sha,
                    BackupManifest.HashedBytes.PLAIN, file.content().length, stored.size(), null, null));
        }
        BackupManifest manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, name, "0/2000028", "0/2000100", 1,
                "000000010000000000000002", "000000010000000000000002", Long.toString(SYSTEM_ID), 150004,
                "2026-11-24T06:00:00Z", "2026-11-24T06:01:00Z", null, codec.name(), 8192, true, 0, 0, false,
                "START WAL LOCATION: 0/2000028\n", null, tablespaces, directories, entries, "walstash test");
        storage.createIfAbsent(RepositoryLayout.manifestKey(name), new ByteArrayInputStream(manifest.toStoredJson()));
        return manifest;
    }

    /**
     * Writes a backup whose WAL runs from segment {@code startSegment} to {@code stopSegment} on
     * {@code timeline} (segment numbers for {@code size}), with {@code files} stored files; a delta
     * on {@code base} also points at one of the base's objects, as an unchanged file does.
     */
    public static BackupManifest write(Storage storage, WalSegmentSize size, long timeline, long startSegment,
                                       long stopSegment, Instant start, Instant stop, BackupManifest base,
                                       boolean permanent, int files) throws IOException {
        SegmentFileName startWal = SegmentFileName.of(timeline, startSegment, size);
        SegmentFileName stopWal = SegmentFileName.of(timeline, stopSegment, size);
        String name = "base_" + startWal.fileName() + (base == null ? "" : "_D_" + base.startWalFile());
        Random random = new Random(name.hashCode());
        List<BackupManifest.FileEntry> entries = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            byte[] bytes = new byte[100 + random.nextInt(400)];
            random.nextBytes(bytes);
            String key = RepositoryLayout.backupFolder(name) + "files/base/1/" + (16384 + i) + ".zst";
            storage.createIfAbsent(key, new ByteArrayInputStream(bytes));
            entries.add(new BackupManifest.FileEntry("base/1/" + (16384 + i), bytes.length, 0600, 0, base != null, key,
                    "00".repeat(32), BackupManifest.HashedBytes.PLAIN, bytes.length, bytes.length, null, null));
        }
        if (base != null && !base.files().isEmpty()) {
            BackupManifest.FileEntry inherited = base.files().get(0);
            entries.add(new BackupManifest.FileEntry("global/1260", inherited.size(), 0600, 0, false,
                    inherited.objectKey(), inherited.sha256(), inherited.hashed(), inherited.plainSize(), inherited.storedSize(), null, null));
        }
        Lsn startLsn = startWal.startLsn(size).plus(40);
        Lsn stopLsn = stopWal.startLsn(size).plus(256);
        BackupManifest manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, name, startLsn.toString(),
                stopLsn.toString(), timeline, startWal.fileName(), stopWal.fileName(), Long.toString(SYSTEM_ID), 150004,
                start.toString(), stop.toString(), base == null ? null : base.name(), "zstd", 8192, true, 1000, 500,
                permanent, "START WAL LOCATION: " + startLsn + "\n", null, null,
                List.of(new BackupManifest.Directory("base", 0700)), entries, "walstash test");
        if (permanent) {
            storage.createIfAbsent(RepositoryLayout.permanentKey(name), new ByteArrayInputStream(new byte[0]));
        }
        storage.createIfAbsent(RepositoryLayout.manifestKey(name), new ByteArrayInputStream(manifest.toStoredJson()));
        return manifest;
    }
}
