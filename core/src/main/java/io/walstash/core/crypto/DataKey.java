package io.walstash.core.crypto;

import java.time.Instant;
import java.util.Objects;

/**
 * One data key of a keyring: what objects are encrypted with. {@code material} never leaves the
 * keyring but sealed; {@link #toString} leaves it out.
 */
public record DataKey(int id, Instant created, byte[] material) {
    public DataKey {
        Objects.requireNonNull(created, "created");
        if (id < 1) {
            throw new IllegalArgumentException("data key id must be positive, got " + id);
        }
        if (material.length != MasterKey.LENGTH) {
            throw new IllegalArgumentException("data key " + id + " must be " + MasterKey.LENGTH + " bytes");
        }
        material = material.clone();
    }

    @Override
    public byte[] material() {
        return material.clone();
    }

    @Override
    public String toString() {
        return "DataKey[id=" + id + ", created=" + created + "]";
    }
}
