package io.walstash.core.backup;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.io.Durable;
import io.walstash.core.io.EarlyWriteback;
import io.walstash.core.io.OwnerOnly;
import io.walstash.core.progress.WorkProgress;
import io.walstash.core.storage.BadContent;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Restores a backup into a directory: every file from the newest backup in the chain that stored it
 * whole, then the deltas after it, oldest first; each object checked against the manifest's length
 * and SHA-256; modes restored; {@code global/pg_control} placed last, after everything else is
 * synced. When anything fails, what was written is removed, so nothing that looks like a data
 * directory is left behind.
 */
public final class BackupFetch {
    static final String PG_CONTROL = "global/pg_control";

    /**
     * @param force                    replace the contents of a non-empty destination (and of the directories
     *                                 the operator named); never of a directory only the manifest names
     * @param tablespaceMap            tablespace oid -> directory to restore it into
     * @param walDirectory             directory to restore pg_wal into (pg_wal becomes a link to it), or null
     * @param tablespacesFromManifest  restore tablespaces the map leaves out to the locations the manifest names
     */
    public record Options(Path destination, boolean force, Map<String, Path> tablespaceMap, int concurrency,
                          Path walDirectory, boolean tablespacesFromManifest) {
        public Options {
            tablespaceMap = Map.copyOf(tablespaceMap);
            if (concurrency < 1) {
                throw new IllegalArgumentException("download concurrency must be at least 1, got " + concurrency);
            }
        }

        public Options(Path destination, boolean force, Map<String, Path> tablespaceMap, int concurrency) {
            this(destination, force, tablespaceMap, concurrency, null, false);
        }
    }

    private final Storage storage;
    private final Codecs codecs;
    private final PrintWriter log;
    private final WorkProgress progress;

    public BackupFetch(Storage storage, Codecs codecs, PrintWriter log) {
        this(storage, codecs, log, WorkProgress.NONE);
    }

    /** @param progress told of each file restored (its plain size) */
    public BackupFetch(Storage storage, Codecs codecs, PrintWriter log, WorkProgress progress) {
        this.storage = storage;
        this.codecs = codecs;
        this.log = log;
        this.progress = progress;
    }

    public BackupManifest fetch(String nameOrLatest, Options options) throws IOException {
        BackupCatalog catalog = new BackupCatalog(storage);
        return fetch(catalog, catalog.resolve(nameOrLatest), options);
    }

    public BackupManifest fetch(BackupManifest listed, Options options) throws IOException {
        return fetch(new BackupCatalog(storage), listed, options);
    }

    /**
     * Restores {@code listed}, reading its delta chain through {@code catalog}, the one that listed
     * or resolved it: the manifests it already read are not read again.
     */
    public BackupManifest fetch(BackupCatalog catalog, BackupManifest listed, Options options) throws IOException {
        BackupManifest backup = catalog.content(listed);
        List<BackupManifest> chain = catalog.chain(backup);
        RestoreLayout layout = RestoreLayout.plan(backup, options);
        Path destination = layout.destination();
        layout.prepare(options.force());
        log.printf("walstash: restoring %s (%s) into %s%n", backup.name(),
                chain.size() == 1 ? "full" : "full " + chain.get(0).name() + " + " + (chain.size() - 1) + " deltas",
                destination);
        log.flush();
        boolean done = false;
        progress.begin("restore " + backup.name(), backup.files().size(),
                backup.files().stream().mapToLong(BackupManifest.FileEntry::size).sum());
        try {
            restore(backup, chain, layout, options.concurrency());
            done = true;
        } finally {
            progress.end();
            if (!done) {
                layout.clear();
            }
        }
        return backup;
    }

    private void restore(BackupManifest backup, List<BackupManifest> chain, RestoreLayout layout, int concurrency)
            throws IOException {
        Path destination = layout.destination();
        layout.link();
        List<BackupManifest.Directory> directories = new ArrayList<>(backup.directories());
        directories.sort(Comparator.comparing(BackupManifest.Directory::path));
        for (BackupManifest.Directory d : directories) {
            Path directory = layout.resolve(d.path(), false);
            Files.createDirectories(directory, OwnerOnly.directoryAttributes(directory));
        }
        ChainFiles steps = ChainFiles.of(chain);
        List<Path> written = new ArrayList<>();
        try (Tasks tasks = new Tasks(concurrency);
             EarlyWriteback writeback = new EarlyWriteback("walstash-writeback")) {
            Map<String, List<Restored>> bundles = new LinkedHashMap<>();
            List<Restored> alone = new ArrayList<>();
            for (BackupManifest.FileEntry entry : backup.files()) {
                Path file = layout.resolve(entry.path(), true);
                if (entry.path().equals(PG_CONTROL)) {
                    file = partial(file);
                }
                written.add(file);
                Restored restored = new Restored(entry, steps.sources(entry.path()), file);
                if (restored.whole().bundled()) {
                    bundles.computeIfAbsent(restored.whole().objectKey(), key -> new ArrayList<>()).add(restored);
                } else {
                    alone.add(restored);
                }
            }
            bundles.forEach((key, files) -> tasks.submit(() -> restoreBundle(key, files, writeback)));
            for (Restored restored : alone) {
                submitFile(tasks, restored, writeback);
            }
            tasks.awaitAll();
            writeback.finish();
            // Durable once, at the end: every file is synced after all were written (large ones
            // were mostly written back meanwhile, see EarlyWriteback), as initdb --sync-only does,
            // instead of one fsync per file as it is written.
            for (Path file : written) {
                tasks.submit(() -> syncFile(file));
            }
            tasks.awaitAll();
        }
        if (backup.backupLabel() != null) {
            writeSmall(destination.resolve("backup_label"), backup.backupLabel());
        }
        if (backup.tablespaceMap() != null) {
            writeSmall(destination.resolve("tablespace_map"), remapTablespaces(backup.tablespaceMap(), layout.tablespaces()));
        }
        // owner-only whatever the manifest says: a forged mode must not open the cluster to other users
        for (int i = directories.size() - 1; i >= 0; i--) {
            Path dir = layout.resolve(directories.get(i).path(), false);
            Files.setPosixFilePermissions(dir, DataDirectoryFiles.permissions(0700));
            Durable.syncDirectory(dir);
        }
        Durable.syncDirectory(layout.resolve("pg_wal", false));
        Durable.syncDirectory(destination.resolve("pg_tblspc"));
        for (Path root : layout.roots()) {
            Durable.syncDirectory(root);
        }
        Path control = destination.resolve(PG_CONTROL);
        Path partial = partial(control);
        if (Files.exists(partial)) {
            Files.move(partial, control, StandardCopyOption.ATOMIC_MOVE);
            Durable.syncDirectory(control.getParent());
        } else {
            throw new IOException("backup " + backup.name() + " has no " + PG_CONTROL + "; it is not a data directory backup");
        }
    }

    /** tablespace_map lines are "oid path"; point them at the locations the tablespaces are restored to. */
    private static String remapTablespaces(String map, Map<String, Path> locations) {
        StringBuilder out = new StringBuilder();
        for (String line : map.split("\n", -1)) {
            int space = line.indexOf(' ');
            if (space > 0 && locations.containsKey(line.substring(0, space))) {
                out.append(line, 0, space).append(' ').append(locations.get(line.substring(0, space)));
            } else {
                out.append(line);
            }
            out.append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    private static Path partial(Path control) {
        return control.resolveSibling("pg_control.walstash-partial");
    }

    /** Opens {@code file} for writing: never through a link, owner-only from the start, not only after the last byte. */
    private static FileChannel openForWrite(Path file, boolean create) throws IOException {
        Set<OpenOption> options = create
                ? Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ,
                        StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)
                : Set.of(StandardOpenOption.WRITE, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        return FileChannel.open(file, options, OwnerOnly.fileAttributes(file));
    }

    /**
     * Submits the restore of {@code restored} (its whole object first, then the deltas): one task
     * when the whole object is one codec stream, otherwise one
     * task per part (each writes its own range of the file) and, after all of them, one that
     * applies the deltas and checks the result.
     *
     * <p>When any of a file's objects reads damaged ({@link BadContent}: a checksum or decryption
     * that fails), the whole file is downloaded and written once more, from its first byte, before
     * the damage counts: bytes flipped on the way read fine the second time, as a manifest is read
     * again ({@link Storage#readChecked}); bytes damaged at rest fail again, naming the object.
     * Whole, because a damaged stream may have written anywhere in the file before its checksum
     * failed.
     */
    private void submitFile(Tasks tasks, Restored restored, EarlyWriteback writeback) throws IOException {
        BackupManifest.FileEntry entry = restored.entry();
        BackupManifest.FileEntry whole = restored.whole();
        List<BackupManifest.FileEntry> deltas = restored.deltas();
        Path file = restored.file();
        Tasks.IoTask wholeFile = () -> restoreAlone(restored, writeback);
        if (whole.parts() == null) {
            tasks.submit(() -> onceMoreIfDamaged(wholeFile, wholeFile));
            return;
        }
        openForWrite(file, true).close();
        Codec codec = StoredObjects.codecOf(codecs, whole.objectKey());
        AtomicReference<IOException> damaged = new AtomicReference<>();
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        long storedOffset = 0;
        long plainOffset = 0;
        for (int i = 0; i < whole.parts().size(); i++) {
            BackupManifest.Part part = whole.parts().get(i);
            int index = i;
            long from = storedOffset;
            long at = plainOffset;
            parts.add(tasks.submit(() -> {
                try (InputStream in = StoredObjects.openPart(storage, codec, whole.objectKey(), index, from, part);
                     FileChannel out = openForWrite(file, false)) {
                    copy(in, out, at, file, writeback);
                } catch (IOException e) {
                    if (!(e instanceof BadContent)) {
                        throw e;
                    }
                    damaged.compareAndSet(null, e); // the other parts go on; the file is written again after them
                }
            }));
            storedOffset += part.storedSize();
            plainOffset += part.plainSize();
        }
        tasks.after(parts, () -> onceMoreIfDamaged(() -> {
            if (damaged.get() != null) {
                throw damaged.get();
            }
            try (FileChannel out = openForWrite(file, false)) {
                finish(entry, deltas, file, out);
            }
        }, wholeFile));
    }

    /**
     * A file to restore: {@code entry} as the backup has it, from {@code applied} (the whole object
     * first, then the deltas after it), into {@code file}.
     */
    private record Restored(BackupManifest.FileEntry entry, List<BackupManifest.FileEntry> applied, Path file) {
        BackupManifest.FileEntry whole() {
            return applied.get(0);
        }

        List<BackupManifest.FileEntry> deltas() {
            return applied.subList(1, applied.size());
        }
    }

    /** Restores {@code restored} from its own reads of its objects (a range, for a member of a bundle). */
    private void restoreAlone(Restored restored, EarlyWriteback writeback) throws IOException {
        try (FileChannel out = openForWrite(restored.file(), true)) {
            try (InputStream in = StoredObjects.open(storage, codecs, restored.whole())) {
                copy(in, out, 0, restored.file(), writeback);
            }
            finish(restored.entry(), restored.deltas(), restored.file(), out); // on the same channel: one open a file, not two
        }
    }

    /**
     * Restores {@code files}, whose whole objects are members of bundle {@code key}, reading the
     * bundle once, front to back: one object to open (and, encrypted, one cipher to set up) for
     * them all, each member checked on its own as a file's own object is. Members no file needs
     * are read past. From a member that reads damaged on, each file is restored alone (a range
     * read of its member), as a damaged stream is read again: bytes flipped on the way read fine
     * the second time; a member damaged at rest fails again, naming it. So does a member the
     * manifest places where an earlier one ends after it (a forged manifest; a real bundle's
     * members follow each other).
     */
    private void restoreBundle(String key, List<Restored> files, EarlyWriteback writeback) throws IOException {
        StoredObjects.BundlePass<Restored> pass = StoredObjects.readBundle(storage, codecs, key, files, Restored::whole,
                (restored, plain) -> {
                    try (FileChannel out = openForWrite(restored.file(), true)) {
                        copy(plain, out, 0, restored.file(), writeback);
                        finish(restored.entry(), restored.deltas(), restored.file(), out);
                    }
                });
        for (int i = 0; i < pass.alone().size(); i++) {
            Restored restored = pass.alone().get(i);
            Tasks.IoTask alone = () -> restoreAlone(restored, writeback);
            if (i == 0 && pass.firstReadDamaged()) {
                alone.run(); // the bundle's read was its first attempt
            } else {
                onceMoreIfDamaged(alone, alone);
            }
        }
    }

    /** Runs {@code attempt}; when it read damaged bytes, runs {@code again} (once). */
    private static void onceMoreIfDamaged(Tasks.IoTask attempt, Tasks.IoTask again) throws IOException {
        try {
            attempt.run();
        } catch (IOException e) {
            if (!(e instanceof BadContent)) {
                throw e;
            }
            again.run();
        }
    }

    /**
     * Applies {@code deltas} to the whole {@code file} just written (open as {@code out}; every write
     * is positional), checks its length and makes it owner-only.
     */
    private void finish(BackupManifest.FileEntry finalEntry, List<BackupManifest.FileEntry> deltas, Path file,
                        FileChannel out) throws IOException {
        for (BackupManifest.FileEntry delta : deltas) {
            try (InputStream in = StoredObjects.open(storage, codecs, delta)) {
                DeltaFile.apply(in, out);
            }
        }
        if (out.size() != finalEntry.size()) {
            throw new IOException(finalEntry.path() + " restored to " + out.size() + " bytes, the manifest says "
                    + finalEntry.size());
        }
        // owner-only whatever the manifest says
        Files.setPosixFilePermissions(file, DataDirectoryFiles.permissions(0600));
        progress.advance(1, finalEntry.size());
    }

    private static void syncFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            channel.force(true);
        }
    }

    /** One copy buffer per restore thread: most files are small, allocating (and zeroing) one per file showed in profiles. */
    private static final ThreadLocal<byte[]> COPY_BUFFER = ThreadLocal.withInitial(() -> new byte[256 * 1024]);

    /**
     * Writes {@code in} to {@code out} (open on {@code file}) from {@code position} on, asking
     * {@code writeback} to write the file back every {@link EarlyWriteback#EVERY} bytes.
     */
    private static void copy(InputStream in, FileChannel out, long position, Path file, EarlyWriteback writeback)
            throws IOException {
        byte[] buffer = COPY_BUFFER.get();
        long unsynced = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
            while (b.hasRemaining()) {
                position += out.write(b, position);
            }
            unsynced += n;
            if (unsynced >= EarlyWriteback.EVERY) {
                writeback.request(file);
                unsynced = 0;
            }
        }
    }

    private static void writeSmall(Path file, String text) throws IOException {
        try (FileChannel c = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), OwnerOnly.fileAttributes(file))) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
            c.force(true);
        }
        Files.setPosixFilePermissions(file, DataDirectoryFiles.permissions(0600));
    }
}
