package io.walstash.examples.plugin;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageProvider;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A third-party storage plugin: {@code mem://NAME} repositories that live in this JVM, for
 * applications that want to test their archiving without a disk or a bucket. It is found through
 * {@code META-INF/services/io.walstash.core.storage.StorageProvider} in this jar, like any backend.
 */
public final class MemoryStorageProvider implements StorageProvider {
    /** Repositories by name: every open of mem://NAME in this JVM sees the same objects. */
    private static final Map<String, MemoryStorage> REPOSITORIES = new ConcurrentHashMap<>();

    @Override
    public String scheme() {
        return "mem";
    }

    @Override
    public Storage open(URI location, Settings settings) {
        if (!"mem".equalsIgnoreCase(location.getScheme())) {
            throw new IllegalArgumentException("expected a mem:// URI, got '" + location + "'");
        }
        String name = location.getAuthority();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("mem:// URI needs a repository name, as in mem://test: '" + location + "'");
        }
        return REPOSITORIES.computeIfAbsent(name, n -> new MemoryStorage(URI.create("mem://" + n)));
    }

    /** Forgets repository {@code name}, so the next open starts empty. */
    public static void drop(String name) {
        REPOSITORIES.remove(name);
    }
}
