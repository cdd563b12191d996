package io.walstash.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Copying and deleting whole directory trees. */
public final class FileTrees {
    private FileTrees() {
    }

    /** Copies {@code from} (a file or a directory tree) to {@code to}, keeping file attributes. */
    public static void copy(Path from, Path to) throws IOException {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(from)) {
            sources = files.toList();
        }
        for (Path source : sources) {
            Path destination = to.resolve(from.relativize(source).toString());
            if (Files.isDirectory(source)) {
                Files.createDirectories(destination);
            } else {
                Files.copy(source, destination, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Deletes {@code root} and everything below it; a missing root is fine. */
    public static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }
}
