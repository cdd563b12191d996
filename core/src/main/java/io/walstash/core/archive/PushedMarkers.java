package io.walstash.core.archive;

import io.walstash.core.io.Durable;
import io.walstash.core.io.OwnerOnly;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Durable notes, in {@code <pg_wal>/walstash/pushed/<walname>}, of WAL files that look-ahead has
 * already stored, so that PostgreSQL's own {@code archive_command} call for them can return at once.
 *
 * <p>A marker records the storage it was pushed to, the object key, and the size, modification
 * time and SHA-256 of the bytes uploaded. It is written (temporary file, fsync, rename, directory
 * fsync) only after storage acknowledged the object, and trusted only while the WAL file still has
 * the same size and modification time and the same storage is configured: otherwise the file is
 * pushed as usual. The directory name {@code walstash} is not a WAL file name, so PostgreSQL
 * (which only touches names it recognises in pg_wal) and walstash's WAL listing ignore it, and
 * {@code backup-push} never copies pg_wal's contents.
 */
final class PushedMarkers {
    static final String DIRECTORY = "walstash/pushed";

    private final Path directory;
    private final String location;

    /**
     * @param pgWal    the directory holding the WAL files
     * @param location the storage pushed to, without credentials
     */
    PushedMarkers(Path pgWal, String location) {
        this.directory = pgWal.resolve(DIRECTORY);
        this.location = location;
    }

    Path directory() {
        return directory;
    }

    /** The state of a local WAL file a marker is checked against. */
    record FileState(long size, Instant modified) {
        static Optional<FileState> of(Path file) throws IOException {
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return Optional.of(new FileState(attributes.size(), attributes.lastModifiedTime().toInstant()));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
        }
    }

    /** The key {@code file} was stored under, if a marker says so and still matches the file. */
    Optional<String> storedKey(Path file) throws IOException {
        String name = String.valueOf(file.getFileName());
        Properties marker = new Properties();
        try (var in = Files.newBufferedReader(directory.resolve(name), StandardCharsets.UTF_8)) {
            marker.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // a damaged marker is no evidence: push as usual
        }
        Optional<FileState> state = FileState.of(file);
        if (state.isEmpty() || !location.equals(marker.getProperty("storage"))
                || !Long.toString(state.get().size()).equals(marker.getProperty("size"))
                || !state.get().modified().toString().equals(marker.getProperty("modified"))
                || marker.getProperty("key") == null) {
            return Optional.empty();
        }
        return Optional.of(marker.getProperty("key"));
    }

    /** Records that {@code file}, as it was in {@code before}, is stored under {@code key} with {@code content}. */
    void write(Path file, FileState before, String key, ObjectHeader content) throws IOException {
        String name = String.valueOf(file.getFileName());
        OwnerOnly.createDirectories(directory);
        String text = "storage=" + escape(location) + "\n"
                + "key=" + escape(key) + "\n"
                + "size=" + before.size() + "\n"
                + "modified=" + before.modified() + "\n"
                + "sha256=" + content.sha256Hex() + "\n";
        // named with this process's id, so that the temporary file of a push killed before its
        // rename is removed by the next write of the same name or the next look-ahead, not an hour later
        Path temp = AbandonedTemps.claim(directory, name);
        try {
            try (FileChannel out = OwnerOnly.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
                out.force(true);
            }
            Files.move(temp, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Durable.syncDirectory(directory);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Removes markers whose WAL file is gone from pg_wal, and left-over temporary files: those whose
     * writer is gone, and any an hour old (an older walstash's, whose names carry no process id).
     */
    void removeStale(Path pgWal) throws IOException {
        List<Path> markers;
        try (Stream<Path> listing = Files.list(directory)) {
            markers = listing.toList();
        } catch (NoSuchFileException e) {
            return;
        }
        for (Path marker : markers) {
            String name = String.valueOf(marker.getFileName());
            boolean stale = name.startsWith(".")
                    ? AbandonedTemps.isAbandoned(name)
                            || Files.getLastModifiedTime(marker).toInstant().isBefore(Instant.now().minusSeconds(3600))
                    : !Files.exists(pgWal.resolve(name));
            if (stale) {
                Files.deleteIfExists(marker);
            }
        }
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace(":", "\\:").replace("=", "\\=");
    }
}
