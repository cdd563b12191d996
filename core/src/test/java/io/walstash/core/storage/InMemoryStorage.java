package io.walstash.core.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A faithful in-memory {@link Storage} for tests of services: it keeps the contract (create
 * never overwrites, a failed create leaves nothing) and lets a test reach in to damage objects.
 */
public final class InMemoryStorage implements Storage {
    private record StoredObject(byte[] bytes, Instant created) {
    }

    private final Map<String, StoredObject> objects = new ConcurrentHashMap<>();
    private final URI location;

    public InMemoryStorage() {
        this(URI.create("memory://test"));
    }

    public InMemoryStorage(URI location) {
        this.location = location;
    }

    @Override
    public URI location() {
        return location;
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        byte[] bytes = content.readAllBytes(); // a failing stream throws here, before anything is stored
        return objects.putIfAbsent(key, new StoredObject(bytes, Instant.now())) == null;
    }

    @Override
    public InputStream read(String key) throws IOException {
        return new ByteArrayInputStream(bytes(key));
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        byte[] bytes = bytes(key);
        int from = (int) Math.min(offset, bytes.length);
        int to = (int) Math.min(bytes.length, from + length);
        return new ByteArrayInputStream(bytes, from, to - from);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        StoredObject object = objects.get(key);
        return Optional.ofNullable(object).map(o -> new ObjectInfo(key, o.bytes().length, o.created()));
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) {
        List<ObjectInfo> found = new ArrayList<>();
        objects.forEach((key, object) -> {
            if (key.startsWith(keyPrefix)) {
                found.add(new ObjectInfo(key, object.bytes().length, object.created()));
            }
        });
        return found.stream();
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    /** The stored bytes of {@code key}, for tests to inspect. */
    public byte[] bytes(String key) throws IOException {
        StoredObject object = objects.get(key);
        if (object == null) {
            throw new NoSuchObjectException(key);
        }
        return object.bytes().clone();
    }

    /** Replaces an object behind the contract's back, as a disk or bucket fault would. */
    public void corrupt(String key, byte[] bytes) {
        objects.put(key, new StoredObject(bytes.clone(), Instant.now()));
    }

    public java.util.Set<String> keys() {
        return java.util.Set.copyOf(objects.keySet());
    }
}
