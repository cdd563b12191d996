package io.walstash.core.backup;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.io.Durable;
import io.walstash.core.io.FileTrees;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

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
     * @param force         replace the contents of a non-empty destination (and tablespace locations)
     * @param tablespaceMap tablespace oid -> directory to restore it into instead of its original location
     */
    public record Options(Path destination, boolean force, Map<String, Path> tablespaceMap, int concurrency) {
        public Options {
            tablespaceMap = Map.copyOf(tablespaceMap);
            if (concurrency < 1) {
                throw new IllegalArgumentException("download concurrency must be at least 1, got " + concurrency);
            }
        }
    }

    private final Storage storage;
    private final Codecs codecs;
    private final PrintWriter log;

    public BackupFetch(Storage storage, Codecs codecs, PrintWriter log) {
        this.storage = storage;
        this.codecs = codecs;
        this.log = log;
    }

    public BackupManifest fetch(String nameOrLatest, Options options) throws IOException {
        BackupCatalog catalog = new BackupCatalog(storage);
        return fetch(catalog.resolve(nameOrLatest), options);
    }

    public BackupManifest fetch(BackupManifest backup, Options options) throws IOException {
        BackupCatalog catalog = new BackupCatalog(storage);
        List<BackupManifest> chain = catalog.chain(backup);
        Path destination = options.destination().toAbsolutePath();
        Map<String, Path> tablespaceLocations = new HashMap<>();
        backup.tablespaces().forEach((oid, original) ->
                tablespaceLocations.put(oid, options.tablespaceMap().getOrDefault(oid, Path.of(original)).toAbsolutePath()));
        for (String oid : options.tablespaceMap().keySet()) {
            if (!backup.tablespaces().containsKey(oid)) {
                throw new IllegalArgumentException("--tablespace-map " + oid + ": backup " + backup.name()
                        + " has no tablespace with that oid (it has " + backup.tablespaces().keySet() + ")");
            }
        }
        prepare(destination, options.force(), "destination");
        for (Path location : tablespaceLocations.values()) {
            prepare(location, options.force(), "tablespace location");
        }
        log.printf("walstash: restoring %s (%s) into %s%n", backup.name(),
                chain.size() == 1 ? "full" : "full " + chain.get(0).name() + " + " + (chain.size() - 1) + " deltas",
                destination);
        log.flush();
        boolean done = false;
        try {
            restore(backup, chain, destination, tablespaceLocations, options.concurrency());
            done = true;
        } finally {
            if (!done) {
                clear(destination);
                for (Path location : tablespaceLocations.values()) {
                    clear(location);
                }
            }
        }
        return backup;
    }

    private void restore(BackupManifest backup, List<BackupManifest> chain, Path destination,
                         Map<String, Path> tablespaceLocations, int concurrency) throws IOException {
        Files.setPosixFilePermissions(destination, DataDirectoryFiles.permissions(0700));
        Files.createDirectories(destination.resolve("pg_tblspc"));
        tablespaceLocations.forEach((oid, location) -> {
            try {
                Files.createSymbolicLink(destination.resolve("pg_tblspc").resolve(oid), location);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        List<BackupManifest.Directory> directories = new ArrayList<>(backup.directories());
        directories.sort(Comparator.comparing(BackupManifest.Directory::path));
        for (BackupManifest.Directory d : directories) {
            Path dir = target(destination, d.path());
            if (Files.isSymbolicLink(dir)) {
                continue;
            }
            Files.createDirectories(dir);
        }
        ChainFiles steps = ChainFiles.of(chain);
        List<Path> written = new ArrayList<>();
        try (Tasks tasks = new Tasks(concurrency)) {
            for (BackupManifest.FileEntry entry : backup.files()) {
                Path file = target(destination, entry.path());
                if (entry.path().equals(PG_CONTROL)) {
                    file = partial(file);
                }
                written.add(file);
                submitFile(tasks, entry, steps.sources(entry.path()), file);
            }
            tasks.awaitAll();
            // Durable once, at the end: every file is synced after all were written (the first
            // fsyncs write back what the kernel has not yet, the later ones find little left), as
            // initdb --sync-only does, instead of one fsync per file as it is written.
            for (Path file : written) {
                tasks.submit(() -> syncFile(file));
            }
            tasks.awaitAll();
        }
        if (backup.backupLabel() != null) {
            writeSmall(destination.resolve("backup_label"), backup.backupLabel());
        }
        if (backup.tablespaceMap() != null) {
            writeSmall(destination.resolve("tablespace_map"), remapTablespaces(backup.tablespaceMap(), tablespaceLocations));
        }
        for (int i = directories.size() - 1; i >= 0; i--) {
            BackupManifest.Directory d = directories.get(i);
            Path dir = target(destination, d.path());
            if (!Files.isSymbolicLink(dir)) {
                Files.setPosixFilePermissions(dir, DataDirectoryFiles.permissions(d.mode() | 0700));
                Durable.syncDirectory(dir);
            }
        }
        Durable.syncDirectory(destination);
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

    /**
     * Where manifest path {@code path} is restored below {@code destination}: the one place where a
     * path read from the manifest meets the file system.
     */
    private static Path target(Path destination, String path) {
        return destination.resolve(path);
    }

    /**
     * Submits the restore of {@code entry} into {@code file} from {@code applied} (the whole object
     * first, then the deltas): one task when the whole object is one codec stream, otherwise one
     * task per part (each writes its own range of the file) and, after all of them, one that
     * applies the deltas and checks the result.
     */
    private void submitFile(Tasks tasks, BackupManifest.FileEntry entry, List<BackupManifest.FileEntry> applied, Path file)
            throws IOException {
        BackupManifest.FileEntry whole = applied.get(0);
        List<BackupManifest.FileEntry> deltas = applied.subList(1, applied.size());
        if (whole.parts() == null) {
            tasks.submit(() -> {
                try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                     InputStream in = StoredObjects.open(storage, codecs, whole)) {
                    copy(in, out, 0);
                }
                finish(entry, deltas, file);
            });
            return;
        }
        Files.newByteChannel(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING).close();
        Codec codec = StoredObjects.codecOf(codecs, whole.objectKey());
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
                     FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    copy(in, out, at);
                }
            }));
            storedOffset += part.storedSize();
            plainOffset += part.plainSize();
        }
        tasks.after(parts, () -> finish(entry, deltas, file));
    }

    /** Applies {@code deltas} to the whole file just written, checks its length and sets its mode. */
    private void finish(BackupManifest.FileEntry finalEntry, List<BackupManifest.FileEntry> deltas, Path file)
            throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            for (BackupManifest.FileEntry delta : deltas) {
                try (InputStream in = StoredObjects.open(storage, codecs, delta)) {
                    DeltaFile.apply(in, out);
                }
            }
            if (out.size() != finalEntry.size()) {
                throw new IOException(finalEntry.path() + " restored to " + out.size() + " bytes, the manifest says "
                        + finalEntry.size());
            }
        }
        Files.setPosixFilePermissions(file, DataDirectoryFiles.permissions(finalEntry.mode() | 0600));
    }

    private static void syncFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** One copy buffer per restore thread: most files are small, allocating (and zeroing) one per file showed in profiles. */
    private static final ThreadLocal<byte[]> COPY_BUFFER = ThreadLocal.withInitial(() -> new byte[256 * 1024]);

    /** Writes {@code in} to {@code out} from {@code position} on. */
    private static void copy(InputStream in, FileChannel out, long position) throws IOException {
        byte[] buffer = COPY_BUFFER.get();
        int n;
        while ((n = in.read(buffer)) >= 0) {
            ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
            while (b.hasRemaining()) {
                position += out.write(b, position);
            }
        }
    }

    private static void writeSmall(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, DataDirectoryFiles.permissions(0600));
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.force(true);
        }
    }

    /** Creates {@code directory}, or checks it is empty, or with {@code force} empties it. */
    private static void prepare(Path directory, boolean force, String what) throws IOException {
        if (!Files.exists(directory)) {
            Files.createDirectories(directory);
            return;
        }
        if (!Files.isDirectory(directory)) {
            throw new IllegalArgumentException(what + " " + directory + " is not a directory");
        }
        boolean empty;
        try (Stream<Path> entries = Files.list(directory)) {
            empty = entries.findAny().isEmpty();
        }
        if (!empty) {
            if (!force) {
                throw new FileSystemException(directory.toString(), null,
                        "the " + what + " is not empty; pass --force to replace its contents");
            }
            clear(directory);
        }
    }

    /** Deletes everything inside {@code directory}, keeping the directory itself. */
    private static void clear(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path p : entries.toList()) {
                if (Files.isSymbolicLink(p) || !Files.isDirectory(p)) {
                    Files.deleteIfExists(p);
                } else {
                    FileTrees.delete(p);
                }
            }
        }
    }
}
