package io.walstash.core.verify;

import java.util.Objects;

/** A stored object that is missing, fails its checksum, does not decode or is not what its name says. */
public record CorruptObject(String key, String problem) {
    public CorruptObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(problem, "problem");
    }
}
