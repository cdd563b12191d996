package io.walstash.core.storage;

import java.time.Instant;
import java.util.Objects;

/** What a storage knows about one object. */
public record ObjectInfo(String key, long size, Instant lastModified) {
    public ObjectInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastModified, "lastModified");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " for " + key);
        }
    }
}
