package io.walstash.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A storage that deletes only the first {@code allowed} keys and then fails every delete, as a run
 * killed half-way would stop: for tests of resumable deletion. Everything else passes through.
 */
public final class DeleteLimitedStorage implements Storage {
    private final Storage delegate;
    private final AtomicInteger remaining;

    public DeleteLimitedStorage(Storage delegate, int allowed) {
        this.delegate = delegate;
        this.remaining = new AtomicInteger(allowed);
    }

    /** How many deletes were refused so far is not tracked; whether the limit was reached is. */
    public boolean exhausted() {
        return remaining.get() <= 0;
    }

    @Override
    public URI location() {
        return delegate.location();
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        return delegate.createIfAbsent(key, content);
    }

    @Override
    public InputStream read(String key) throws IOException {
        return delegate.read(key);
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        return delegate.readRange(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return delegate.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        return delegate.list(keyPrefix);
    }

    @Override
    public void delete(String key) throws IOException {
        if (remaining.getAndDecrement() <= 0) {
            throw new IOException("injected failure: delete of " + key + " refused (delete limit reached)");
        }
        delegate.delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        for (String key : keys) {
            delete(key); // one by one, so that a batch can stop half-way like a real one
        }
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
