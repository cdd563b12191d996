package io.walstash.core.archive;

import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Storage that is opened only when first used. A restore_command that finds its segment in the
 * prefetch directory never touches storage, and so skips starting a cloud SDK client, which is a
 * large part of a one-shot command's time.
 */
final class StorageOnFirstUse implements Storage {
    /** Opens the real storage. */
    @FunctionalInterface
    interface Opener {
        Storage open() throws IOException;
    }

    private final StorageLocation location;
    private final Opener opener;
    private Storage opened;
    private boolean closed;

    StorageOnFirstUse(StorageLocation location, Opener opener) {
        this.location = location;
        this.opener = opener;
    }

    private synchronized Storage storage() throws IOException {
        if (closed) {
            throw new IOException("storage " + location + " is closed");
        }
        if (opened == null) {
            opened = opener.open();
        }
        return opened;
    }

    /**
     * The backend's own form of the location once opened (a backend may normalise it, as file://
     * adds a trailing '/'), so that messages read alike whether or not storage was opened lazily;
     * before that the configured location (it carries no credentials: {@link StorageLocation} refuses them).
     */
    @Override
    public synchronized URI location() {
        return opened != null ? opened.location() : location.uri();
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        return storage().createIfAbsent(key, content);
    }

    @Override
    public InputStream read(String key) throws IOException {
        return storage().read(key);
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        return storage().readRange(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return storage().stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        return storage().list(keyPrefix);
    }

    @Override
    public void delete(String key) throws IOException {
        storage().delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        storage().deleteAll(keys);
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (opened != null) {
            opened.close();
        }
    }

    @Override
    public String toString() {
        return "OnFirstUse(" + location + ")";
    }
}
