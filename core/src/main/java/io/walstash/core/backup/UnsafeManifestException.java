package io.walstash.core.backup;

import java.io.IOException;

/**
 * A manifest from the repository names a path, size, key or location walstash will not use: the
 * repository is untrusted input, and such a manifest is damaged or forged. Nothing was written
 * outside the restore's destination.
 */
public final class UnsafeManifestException extends IOException {
    public UnsafeManifestException(String message) {
        super(message);
    }
}
