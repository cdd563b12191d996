package io.walstash.core.archive;

import io.walstash.core.io.Digests;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import io.walstash.core.io.OwnerOnly;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where prefetched WAL segments wait for PostgreSQL to ask for them: {@code .walstash-prefetch/<repository id>/}
 * inside pg_wal (the directory of restore_command's {@code %p}). PostgreSQL only looks at names of
 * WAL files in pg_wal and at its archive_status and summaries subdirectories, and backups skip
 * pg_wal's contents, so nothing here is taken for WAL.
 *
 * <p>Each segment is kept decoded and verified, named {@code <segment>.<codec extension>.<SHA-256 of
 * its bytes>}, so that taking it is one hash and a rename; or, when local files are sealed under a
 * master key, as the stored object's bytes sealed ({@code <segment>.<codec extension>}: a walstash
 * {@link ObjectHeader} with the SHA-256 of the plain bytes, then the compressed body), so that taking
 * it unseals, decodes and verifies exactly as a fetch from storage does. Files are written
 * under a '.'-prefixed temporary name and renamed when complete; temporary names are never read.
 * The repository id (a digest of the storage location) keeps two repositories' files apart. Besides
 * segments the directory holds {@code wanted} (the segments the latest fetch would like next),
 * {@code lock} (held by the one worker process filling the directory) and {@code worker.log}.
 */
public final class PrefetchDirectory {
    public static final String ROOT = ".walstash-prefetch";
    /** Prefetched files and abandoned temporary files older than this are removed unread. */
    public static final Duration STALE_AFTER = Duration.ofMinutes(10);
    static final String WANTED = "wanted";
    static final String LOCK = "lock";
    static final String WORKER_LOG = "worker.log";
    private static final Pattern SEGMENT_FILE = Pattern.compile("([0-9A-F]{24})\\.([a-z0-9]+)(?:\\.([0-9a-f]{64}))?");

    /**
     * A complete prefetched file of a segment stored with the codec of {@code extension}: decoded
     * when {@code sha256Hex} (of its bytes, as the stored object's header recorded it) is present,
     * else the stored object's bytes, sealed.
     */
    public record Prefetched(Path file, String extension, Optional<String> sha256Hex) {
        public boolean decoded() {
            return sha256Hex.isPresent();
        }
    }

    private final Path root;
    private final Path directory;
    private final Clock clock;

    private PrefetchDirectory(Path root, Path directory, Clock clock) {
        this.root = root;
        this.directory = directory;
        this.clock = clock;
    }

    /** The prefetch directory for {@code repository} under {@code root} ({@code <pg_wal>/.walstash-prefetch}). */
    public static PrefetchDirectory under(Path root, URI repository, Clock clock) {
        Path absolute = root.toAbsolutePath();
        return new PrefetchDirectory(absolute, absolute.resolve(repositoryId(repository)), clock);
    }

    /** The prefetch directory beside restore_command's destination {@code %p}. */
    public static PrefetchDirectory beside(Path destination, URI repository, Clock clock) {
        Path parent = destination.toAbsolutePath().getParent();
        return under(parent.resolve(ROOT), repository, clock);
    }

    static String repositoryId(URI repository) {
        // "file:///r" and "file:///r/" name one repository
        String text = repository.normalize().toString().replaceAll("/+$", "");
        byte[] digest = Digests.sha256().digest(text.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 8);
    }

    public Path root() {
        return root;
    }

    public Path path() {
        return directory;
    }

    /** Creates the directory if needed (its parent, pg_wal, must exist). */
    void create() throws IOException {
        OwnerOnly.createDirectories(directory); // 0700: other local users must not read WAL or plant files
    }

    /** The complete, fresh prefetched file of {@code segment}, if one is there. */
    public Optional<Prefetched> find(SegmentFileName segment) throws IOException {
        if (!Files.isDirectory(directory)) {
            return Optional.empty();
        }
        String prefix = segment.fileName() + ".";
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, prefix + "*")) {
            for (Path file : files) {
                Matcher m = SEGMENT_FILE.matcher(file.getFileName().toString());
                if (m.matches() && !isStale(file)) {
                    return Optional.of(new Prefetched(file, m.group(2), Optional.ofNullable(m.group(3))));
                }
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The segments among {@code segments} with no prefetched file yet. */
    List<SegmentFileName> absent(List<SegmentFileName> segments) throws IOException {
        List<SegmentFileName> absent = new ArrayList<>();
        for (SegmentFileName segment : segments) {
            if (find(segment).isEmpty()) {
                absent.add(segment);
            }
        }
        return absent;
    }

    /** The name of {@code storedName}'s ({@code <segment>.<codec extension>}) segment kept decoded, its bytes' SHA-256 {@code sha256Hex}. */
    static String decodedName(String storedName, String sha256Hex) {
        return storedName + "." + sha256Hex;
    }

    /** A new temporary path for {@code fileName}; {@link #find} never returns it. */
    Path temporary(String fileName) {
        return directory.resolve("." + fileName + "." + UUID.randomUUID() + ".tmp");
    }

    /** Renames a complete temporary file to its final name {@code fileName}. */
    void commit(Path temporary, String fileName) throws IOException {
        Files.move(temporary, directory.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * After PostgreSQL got {@code fetched}: removes prefetched files it will not ask for (earlier
     * segments of its timeline, segments of earlier timelines), stale files, temporary files whose
     * writer is gone, and the directories of other repositories.
     */
    public void cleanUpAfter(SegmentFileName fetched) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (DirectoryStream<Path> repositories = Files.newDirectoryStream(root)) {
            for (Path other : repositories) {
                if (!other.equals(directory) && Files.isDirectory(other)) {
                    deleteTree(other);
                }
            }
        }
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                Matcher m = SEGMENT_FILE.matcher(name);
                boolean remove;
                if (m.matches()) {
                    SegmentFileName segment = SegmentFileName.parse(m.group(1));
                    remove = segment.timeline() < fetched.timeline()
                            || (segment.timeline() == fetched.timeline() && segment.compareTo(fetched) <= 0)
                            || isStale(file);
                } else {
                    // a temporary file: stale, or its writer (a killed prefetch worker) gone
                    remove = name.startsWith(".") && (isStale(file) || AbandonedTemps.isAbandoned(name));
                }
                if (remove) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /**
     * Removes the temporary files whose writer is gone, and nothing else (best effort; no folder
     * when nothing was prefetched).
     */
    public void removeAbandonedTemporaries() {
        AbandonedTemps.removeAbandoned(directory, name -> true);
    }

    /** The {@code count} segments after {@code segment} on its timeline, fewer at the end of the WAL address space. */
    public static List<SegmentFileName> window(SegmentFileName segment, WalSegmentSize size, int count) {
        List<SegmentFileName> next = new ArrayList<>(count);
        SegmentFileName current = segment;
        for (int i = 0; i < count && current.segmentNumber(size) < size.maxSegmentNumber(); i++) {
            current = current.next(size);
            next.add(current);
        }
        return next;
    }

    /** Records the segments the latest fetch would like prefetched, for the worker process to read. */
    void want(List<SegmentFileName> segments) throws IOException {
        create();
        Path temp = temporary(WANTED);
        StringBuilder text = new StringBuilder();
        segments.forEach(s -> text.append(s.fileName()).append('\n'));
        try (FileChannel out = OwnerOnly.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(java.nio.ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII)));
            }
        try {
            commit(temp, WANTED);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** What {@link #want} recorded last; malformed lines are skipped. */
    List<SegmentFileName> wanted() throws IOException {
        List<SegmentFileName> wanted = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(directory.resolve(WANTED), StandardCharsets.US_ASCII)) {
                try {
                    wanted.add(SegmentFileName.parse(line.strip()));
                } catch (IllegalArgumentException e) {
                    // a torn or foreign line: nothing to prefetch for it
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return wanted;
    }

    /** The worker's lock, if no other process holds it; closing the channel releases it. */
    Optional<FileChannel> tryLock() throws IOException {
        create();
        FileChannel channel = OwnerOnly.open(directory.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return Optional.of(channel);
            }
        } catch (OverlappingFileLockException e) {
            // this process holds it already
        }
        channel.close();
        return Optional.empty();
    }

    private boolean isStale(Path file) throws IOException {
        try {
            Instant modified = Files.getLastModifiedTime(file).toInstant();
            return modified.isBefore(clock.instant().minus(STALE_AFTER));
        } catch (NoSuchFileException e) {
            return true;
        }
    }

    private static void deleteTree(Path directory) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Files.deleteIfExists(directory);
    }

    @Override
    public String toString() {
        return directory.toString();
    }
}
