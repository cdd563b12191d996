package io.walstash.examples.plugin;

import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/** The objects of one mem:// repository, kept sorted by key so listings come in key order. */
final class MemoryStorage implements Storage {
    private record Blob(byte[] bytes, Instant created) {
    }

    private final ConcurrentSkipListMap<String, Blob> objects = new ConcurrentSkipListMap<>();
    private final URI location;

    MemoryStorage(URI location) {
        this.location = location;
    }

    @Override
    public URI location() {
        return location;
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        checkKey(key);
        // Read it all first: a stream that fails midway must leave no object behind.
        byte[] bytes = content.readAllBytes();
        return objects.putIfAbsent(key, new Blob(bytes, Instant.now())) == null;
    }

    @Override
    public InputStream read(String key) throws IOException {
        return new ByteArrayInputStream(blob(key).bytes());
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        byte[] bytes = blob(key).bytes();
        int from = (int) Math.min(offset, bytes.length);
        int to = (int) Math.min(bytes.length, from + Math.max(0, length));
        return new ByteArrayInputStream(bytes, from, to - from);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
        return Optional.ofNullable(objects.get(key)).map(b -> new ObjectInfo(key, b.bytes().length, b.created()));
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) {
        List<ObjectInfo> snapshot = objects.tailMap(keyPrefix, true).entrySet().stream()
                .takeWhile(e -> e.getKey().startsWith(keyPrefix))
                .map(e -> new ObjectInfo(e.getKey(), e.getValue().bytes().length, e.getValue().created()))
                .sorted(Comparator.comparing(ObjectInfo::key))
                .toList();
        return snapshot.stream();
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    private Blob blob(String key) throws NoSuchObjectException {
        Blob blob = objects.get(key);
        if (blob == null) {
            throw new NoSuchObjectException(key);
        }
        return blob;
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.startsWith("/")) {
            throw new IllegalArgumentException("invalid key '" + key + "'");
        }
    }

    @Override
    public String toString() {
        return "MemoryStorage(" + location + ")";
    }
}
