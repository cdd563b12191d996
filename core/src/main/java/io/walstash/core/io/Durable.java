package io.walstash.core.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Making renames and creations in a directory survive a crash. */
public final class Durable {
    private Durable() {
    }

    /**
     * Syncs {@code directory} so that a rename or link made in it is on disk. POSIX only promises
     * that an entry survives a crash once its directory is synced; file contents alone are not enough.
     */
    public static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some platforms (Windows) can't open a directory as a channel; there the rename is
            // already durable through the file system's own journal.
            if (!System.getProperty("os.name", "").startsWith("Windows")) {
                throw e;
            }
        }
    }
}
