package io.walstash.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Creates files (0600) and directories (0700) that only their owner can use, whatever the umask:
 * the mode is passed to open(2) and mkdir(2) themselves, so there is no moment in which another
 * local user could open what was just made (DESIGN: other local users are untrusted). On a file
 * system without POSIX permissions the platform's defaults apply.
 */
public final class OwnerOnly {
    private static final FileAttribute<?> FILE = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<?> DIRECTORY = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------"));

    private OwnerOnly() {
    }

    /** Opens {@code file} with {@code options}; if the open creates it, it is created 0600. */
    public static FileChannel open(Path file, OpenOption... options) throws IOException {
        return FileChannel.open(file, Set.of(options), fileAttributes(file));
    }

    /** Creates directory {@code directory} (0700); fails as {@link Files#createDirectory} does. */
    public static Path createDirectory(Path directory) throws IOException {
        return Files.createDirectory(directory, directoryAttributes(directory));
    }

    /**
     * Creates {@code directory} and its missing parents, each 0700, and syncs the parent of each one
     * created so that the new entries survive a crash. Existing directories are left as they are.
     */
    public static Path createDirectories(Path directory) throws IOException {
        Path absolute = directory.toAbsolutePath();
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = absolute; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        for (Path p : missing) {
            try {
                createDirectory(p);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
                // made concurrently; its maker may not have synced the parent yet, so sync anyway
            }
            Durable.syncDirectory(p.getParent());
        }
        return directory;
    }

    /** The attributes that make a new file 0600, where the file system has POSIX permissions. */
    public static FileAttribute<?>[] fileAttributes(Path file) {
        return posix(file) ? new FileAttribute<?>[] {FILE} : new FileAttribute<?>[0];
    }

    /** The attributes that make a new directory 0700, where the file system has POSIX permissions. */
    public static FileAttribute<?>[] directoryAttributes(Path directory) {
        return posix(directory) ? new FileAttribute<?>[] {DIRECTORY} : new FileAttribute<?>[0];
    }

    private static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
