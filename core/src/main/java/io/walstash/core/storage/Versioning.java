package io.walstash.core.storage;

import java.util.Objects;

/**
 * Whether a bucket keeps the old versions of overwritten and deleted objects, as its backend tells
 * ({@link CreatesBucket#versioning}). With versioning on, what retention deletes stays stored (and
 * billed) as noncurrent versions until a lifecycle rule expires them.
 *
 * @param detail one line: how the backend said it, or why it cannot
 */
public record Versioning(State state, String detail) {
    public enum State { ON, SUSPENDED, OFF, UNKNOWN }

    public Versioning {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(detail, "detail");
    }
}
