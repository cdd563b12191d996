package io.walstash.core.spool;

import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What waits in a spool directory to be drained to storage.
 *
 * <p>Spool layout (shared by the writer, the drainer and {@code status}): each spooled WAL file is a
 * plain copy (sealed, with a master key: {@link LocalSealing}) named exactly as the WAL file ({@code 000000010000000000000003},
 * {@code 00000002.history}, …). It is written under a name starting with '.', synced, then renamed,
 * so a name that parses as a WAL file name is always complete; everything else in the directory
 * (temporary files, state) is ignored here.
 *
 * @param files every complete spooled file, oldest WAL name first
 */
public record SpoolBacklog(Path directory, List<Entry> files) {

    /** One spooled WAL file. */
    public record Entry(String name, long size, Instant modified) {
    }

    public SpoolBacklog {
        files = List.copyOf(files);
    }

    /** Reads the backlog of {@code directory}; a missing directory has an empty backlog. */
    public static SpoolBacklog read(Path directory) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> children = Files.list(directory)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                String name = String.valueOf(child.getFileName());
                if (name.startsWith(".") || !WalFileName.isWalFileName(name)) {
                    continue;
                }
                try {
                    BasicFileAttributes attributes = Files.readAttributes(child, BasicFileAttributes.class);
                    if (attributes.isRegularFile()) {
                        entries.add(new Entry(name, attributes.size(), attributes.lastModifiedTime().toInstant()));
                    }
                } catch (NoSuchFileException drainedMeanwhile) {
                    // The drainer removed it between listing and reading: no longer backlog.
                }
            }
        } catch (NoSuchFileException missing) {
            return new SpoolBacklog(directory, List.of());
        }
        entries.sort(Comparator.comparing(Entry::name));
        return new SpoolBacklog(directory, entries);
    }

    public int count() {
        return files.size();
    }

    public long bytes() {
        return files.stream().mapToLong(Entry::size).sum();
    }

    /** When the longest-waiting file was spooled, if any waits. */
    public Optional<Instant> oldest() {
        return files.stream().map(Entry::modified).min(Comparator.naturalOrder());
    }
}
