package io.walstash.core.archive;

import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * {@link InMemoryStorage} with faults at exact points: a storage that is down, a create hook that
 * fails, hangs or stores-then-fails, and a record of which creates stored something.
 */
final class ScriptedStorage implements Storage {
    /** Replaces one createIfAbsent ({@link #storeNow} stores); {@code attempt} counts calls for that key from 1. */
    @FunctionalInterface
    interface CreateHook {
        boolean create(String key, InputStream content, int attempt) throws IOException;
    }

    final InMemoryStorage memory = new InMemoryStorage();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final Map<String, CreateHook> hooks = new ConcurrentHashMap<>();
    /** Keys in the order creates stored them. */
    final List<String> stored = new CopyOnWriteArrayList<>();
    volatile IOException down;

    void hook(String key, CreateHook hook) {
        hooks.put(key, hook);
    }

    int attempts(String key) {
        return attempts.getOrDefault(key, new AtomicInteger()).get();
    }

    long storedCount(String key) {
        return stored.stream().filter(key::equals).count();
    }

    private void check() throws IOException {
        IOException failure = down;
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public URI location() {
        return memory.location();
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        check();
        int attempt = attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        CreateHook hook = hooks.get(key);
        return hook != null ? hook.create(key, content, attempt) : storeNow(key, content);
    }

    /** For hooks: stores like the real create and records it. */
    boolean storeNow(String key, InputStream content) throws IOException {
        boolean created = memory.createIfAbsent(key, content);
        if (created) {
            stored.add(key);
        }
        return created;
    }

    @Override
    public InputStream read(String key) throws IOException {
        check();
        return memory.read(key);
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        check();
        return memory.readRange(key, offset, length);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        check();
        return memory.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        check();
        return memory.list(keyPrefix);
    }

    @Override
    public void delete(String key) throws IOException {
        check();
        memory.delete(key);
    }
}
