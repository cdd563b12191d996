package io.walstash.core.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Collection;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A storage that hands every call to another: the base of layers (encryption, retry) and test
 * decorators (fault injection, counting, clocks), which override only the calls they change. A
 * method added to {@link Storage} is forwarded here, once.
 *
 * <p>The default methods made of the others ({@link #createIfAbsent(String, Content)},
 * {@link #readChecked}) are not forwarded: they reach the delegate through this layer's
 * {@link #createIfAbsent(String, InputStream)} and {@link #read}, so a layer that changes those
 * changes them too. {@link #deleteAll} is forwarded, so a backend's batch delete stays one call.
 */
public abstract class ForwardingStorage implements Storage {
    protected final Storage delegate;

    protected ForwardingStorage(Storage delegate) {
        this.delegate = delegate;
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
        delegate.delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        delegate.deleteAll(keys);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + delegate + ")";
    }
}
