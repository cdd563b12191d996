package io.walstash.core.backup;

import io.walstash.core.codec.Codecs;
import io.walstash.core.io.Durable;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
        RestoreLayout layout = RestoreLayout.plan(backup, options);
        Path destination = layout.destination();
        layout.prepare(options.force());
        log.printf("walstash: restoring %s (%s) into %s%n", backup.name(),
                chain.size() == 1 ? "full" : "full " + chain.get(0).name() + " + " + (chain.size() - 1) + " deltas",
                destination);
        log.flush();
        boolean done = false;
        try {
            restore(backup, chain, layout, options.concurrency());
            done = true;
        } finally {
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
            Files.createDirectories(layout.resolve(d.path(), false), RestoreLayout.PRIVATE_DIRECTORY);
        }
        ChainFiles steps = ChainFiles.of(chain);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "walstash-fetch");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (BackupManifest.FileEntry entry : backup.files()) {
                futures.add(pool.submit(() -> {
                    restoreFile(entry, steps, layout);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(other -> other.cancel(true));
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(String.valueOf(cause), cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
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

    private void restoreFile(BackupManifest.FileEntry finalEntry, ChainFiles steps, RestoreLayout layout) throws IOException {
        List<BackupManifest.FileEntry> applied = steps.sources(finalEntry.path());
        Path target = layout.resolve(finalEntry.path(), true);
        if (finalEntry.path().equals(PG_CONTROL)) {
            target = partial(target);
        }
        // never through a link; owner-only from the start, not only after the last byte
        try (FileChannel out = FileChannel.open(target, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS), RestoreLayout.PRIVATE_FILE)) {
            for (BackupManifest.FileEntry entry : applied) {
                try (InputStream in = StoredObjects.open(storage, codecs, entry)) {
                    if (entry.delta()) {
                        DeltaFile.apply(in, out);
                    } else {
                        out.truncate(0);
                        copy(in, out);
                    }
                }
            }
            if (out.size() != finalEntry.size()) {
                throw new IOException(finalEntry.path() + " restored to " + out.size() + " bytes, the manifest says "
                        + finalEntry.size());
            }
            out.force(true);
        }
        Files.setPosixFilePermissions(target, DataDirectoryFiles.permissions(0600));
    }

    private static void copy(InputStream in, FileChannel out) throws IOException {
        byte[] buffer = new byte[256 * 1024];
        long position = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            ByteBuffer b = ByteBuffer.wrap(buffer, 0, n);
            while (b.hasRemaining()) {
                position += out.write(b, position);
            }
        }
    }

    private static void writeSmall(Path file, String text) throws IOException {
        try (FileChannel c = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), RestoreLayout.PRIVATE_FILE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
            c.force(true);
        }
        Files.setPosixFilePermissions(file, DataDirectoryFiles.permissions(0600));
    }
}
