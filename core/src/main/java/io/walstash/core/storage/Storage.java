package io.walstash.core.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A flat store of immutable objects addressed by '/'-separated keys relative to one location.
 *
 * <p>The surface is kept minimal so that adding a backend is easy: create-if-absent (never
 * overwrite), read, stat, list by prefix and delete. Optional features are default methods.
 * Implementations are safe for concurrent use by several threads.
 */
public interface Storage extends Closeable {

    /** The location this storage was opened on, without credentials. */
    URI location();

    /**
     * Stores {@code content} under {@code key} unless an object with that key already exists.
     *
     * <p>Returns only once the object is durable (upload acknowledged, file and directory
     * synced). Returns {@code false}, leaving the existing object untouched, when the key was
     * taken; of several concurrent creators of one key exactly one gets {@code true}. On failure
     * no object that looks complete is left under {@code key}.
     */
    boolean createIfAbsent(String key, InputStream content) throws IOException;

    /** Bytes that can be opened afresh, so that a create can be tried again with the same content. */
    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException;
    }

    /**
     * Content of any size that can be produced afresh, such as a backup's copy of a data file read
     * again from the data directory: an attempt that failed after sending part of it is tried again
     * from the start, and no attempt has a time limit (a 1 GiB file on a slow link takes as long as
     * it takes), as for a stream.
     */
    @FunctionalInterface
    interface LargeContent extends Content {
    }

    /**
     * As {@link #createIfAbsent(String, InputStream)} with content that can be read again: what
     * callers should use, since {@link RetryingStorage} can then retry an upload that failed midway.
     */
    default boolean createIfAbsent(String key, Content content) throws IOException {
        try (InputStream in = content.open()) {
            return createIfAbsent(key, in);
        }
    }

    /** Opens the whole object; throws {@link NoSuchObjectException} when it does not exist. */
    InputStream read(String key) throws IOException;

    /** What a whole read does with an object's bytes: reads, parses and checks them. */
    @FunctionalInterface
    interface Reader<T> {
        /** The value read from {@code in}; a {@link BadContent} failure when the bytes are damaged. */
        T read(InputStream in) throws IOException;
    }

    /**
     * Reads object {@code key} through {@code reader}, which checks what it reads (a small object
     * read whole, such as a manifest). Here once; {@link RetryingStorage} downloads it once more
     * when the reader finds the bytes damaged ({@link BadContent}): bytes damaged on the way read
     * fine the second time, bytes damaged at rest fail again.
     */
    default <T> T readChecked(String key, Reader<T> reader) throws IOException {
        try (InputStream in = read(key)) {
            return reader.read(in);
        }
    }

    /**
     * Opens {@code length} bytes from {@code offset}; fewer when the object ends first.
     * Throws {@link NoSuchObjectException} when it does not exist.
     */
    InputStream readRange(String key, long offset, long length) throws IOException;

    /** Size and time of the object, or empty when it does not exist. */
    Optional<ObjectInfo> stat(String key) throws IOException;

    /**
     * Every object whose key starts with {@code keyPrefix}, in no promised order, fetched page by
     * page as the stream is consumed. The caller closes the stream.
     */
    Stream<ObjectInfo> list(String keyPrefix) throws IOException;

    /** Deletes the object; deleting a missing object is not an error. */
    void delete(String key) throws IOException;

    /** Deletes every key; missing ones are not an error. Backends with a batch API override this. */
    default void deleteAll(Collection<String> keys) throws IOException {
        for (String key : keys) {
            delete(key);
        }
    }

    @Override
    default void close() throws IOException {
    }
}
