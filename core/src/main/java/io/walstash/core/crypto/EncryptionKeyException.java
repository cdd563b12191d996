package io.walstash.core.crypto;

import java.io.IOException;

/**
 * The master key is missing or does not open the repository's keyring, or an object names a data
 * key the keyring does not hold. A configuration problem: trying again does not help.
 */
public final class EncryptionKeyException extends IOException {
    public EncryptionKeyException(String message) {
        super(message);
    }

    /** The message for reading or writing content of an encrypted repository without a key. */
    static EncryptionKeyException missing(String what) {
        return new EncryptionKeyException(what + ", and no master key is configured: set "
                + EncryptionSettings.KEY_FILE.name() + " (or " + EncryptionSettings.KEY.name() + ")");
    }
}
