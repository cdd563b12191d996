package io.walstash.storage.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.walstash.core.storage.ObjectInfo;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Depth-first walk yielding the objects whose keys start with a prefix, holding one open
 * directory per level. Descends only into folders that can hold matching keys, does not follow
 * symbolic links to folders, and skips temporary files and entries that vanish mid-walk.
 */
final class FileLister implements Iterator<ObjectInfo>, Closeable {
    private record Level(String folderKey, DirectoryStream<Path> stream, Iterator<Path> entries) {
    }

    private final Deque<Level> levels = new ArrayDeque<>();
    private final String prefix;
    private ObjectInfo next;
    private boolean closed;

    private FileLister(String prefix) {
        this.prefix = prefix;
    }

    /** Lists below {@code start}, the folder whose keys start with {@code folderKey} ("" or ending in '/'). */
    static FileLister start(Path start, String folderKey, String prefix) throws IOException {
        FileLister lister = new FileLister(prefix);
        lister.enter(start, folderKey);
        return lister;
    }

    private void enter(Path dir, String folderKey) throws IOException {
        DirectoryStream<Path> stream;
        try {
            stream = Files.newDirectoryStream(dir);
        } catch (NoSuchFileException | NotDirectoryException e) {
            return; // removed or replaced since it was seen
        }
        levels.push(new Level(folderKey, stream, stream.iterator()));
    }

    @Override
    public boolean hasNext() {
        if (next == null && !closed) {
            try {
                next = advance();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (DirectoryIteratorException e) {
                throw new UncheckedIOException(e.getCause());
            }
        }
        return next != null;
    }

    @Override
    public ObjectInfo next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        ObjectInfo result = next;
        next = null;
        return result;
    }

    private ObjectInfo advance() throws IOException {
        while (!levels.isEmpty()) {
            Level level = levels.peek();
            if (!level.entries().hasNext()) {
                levels.pop().stream().close();
                continue;
            }
            Path entry = level.entries().next();
            String name = entry.getFileName().toString();
            String key = level.folderKey() + name;
            if (!key.startsWith(prefix) && !prefix.startsWith(key + "/")) {
                // neither an object nor a folder under the prefix, whatever it is: no stat (a push
                // lists its segment's name in a WAL folder of thousands)
                continue;
            }
            BasicFileAttributes attributes = attributes(entry);
            if (attributes == null) {
                continue;
            }
            if (attributes.isDirectory()) {
                String folderKey = key + "/";
                if (folderKey.startsWith(prefix) || prefix.startsWith(folderKey)) {
                    enter(entry, folderKey);
                }
            } else if (attributes.isRegularFile() && key.startsWith(prefix) && !FileStorage.isTempName(name)) {
                return new ObjectInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant());
            }
        }
        return null;
    }

    /** The entry's attributes, following a link only when it leads to a file; null when gone. */
    private static BasicFileAttributes attributes(Path entry) throws IOException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class, NOFOLLOW_LINKS);
            if (attributes.isSymbolicLink()) {
                BasicFileAttributes target = Files.readAttributes(entry, BasicFileAttributes.class);
                return target.isRegularFile() ? target : null;
            }
            return attributes;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Closes every open directory; safe to call twice. */
    @Override
    public void close() {
        closed = true;
        next = null;
        IOException failure = null;
        while (!levels.isEmpty()) {
            try {
                levels.pop().stream().close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw new UncheckedIOException(failure);
        }
    }
}
