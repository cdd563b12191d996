package io.walstash.core.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Whether archive_command is done with a WAL file, read from the data directory's
 * {@code pg_wal/archive_status} exactly as {@code pg_backup_stop} reads it (PostgreSQL's
 * {@code XLogArchiveIsBusy}): done once {@code NAME.done} exists; busy while {@code NAME.ready}
 * does; with neither, done if the file itself is gone (archived, then recycled by a checkpoint),
 * else busy (its {@code .ready} is on the way).
 *
 * <p>walstash asks this itself, every few milliseconds, instead of letting {@code pg_backup_stop}
 * wait: the server checks once, then sleeps a whole second between checks, and as the stop
 * segment's {@code .ready} only appears inside {@code pg_backup_stop}, every backup waited at least
 * that second.
 */
final class ArchiveStatus {
    private final Path walDirectory;
    private final Path statusDirectory;

    private ArchiveStatus(Path walDirectory, Path statusDirectory) {
        this.walDirectory = walDirectory;
        this.statusDirectory = statusDirectory;
    }

    /**
     * The archive status of the cluster in {@code dataDirectory}, or empty when this process cannot
     * read it (then the server's own wait is the one to use: a status file this process cannot see
     * must not read as missing).
     */
    static Optional<ArchiveStatus> of(Path dataDirectory) {
        Path walDirectory = dataDirectory.resolve("pg_wal");
        Path statusDirectory = walDirectory.resolve("archive_status");
        if (Files.isDirectory(statusDirectory) && Files.isReadable(statusDirectory) && Files.isExecutable(statusDirectory)
                && Files.isReadable(walDirectory) && Files.isExecutable(walDirectory)) {
            return Optional.of(new ArchiveStatus(walDirectory, statusDirectory));
        }
        return Optional.empty();
    }

    /** Whether archive_command still has {@code walFileName} (a segment or a backup history file) to archive. */
    boolean busy(String walFileName) throws IOException {
        Path done = statusDirectory.resolve(walFileName + ".done");
        if (exists(done)) {
            return false;
        }
        if (exists(statusDirectory.resolve(walFileName + ".ready"))) {
            return true;
        }
        if (exists(done)) { // the archiver may have renamed .ready to .done between the two looks
            return false;
        }
        return exists(walDirectory.resolve(walFileName));
    }

    /** As stat(2) answers, following links: only "no such file" means absent; any other failure is thrown. */
    private static boolean exists(Path path) throws IOException {
        try {
            Files.readAttributes(path, BasicFileAttributes.class);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }
}
