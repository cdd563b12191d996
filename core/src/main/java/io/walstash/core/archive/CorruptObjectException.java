package io.walstash.core.archive;

import java.io.IOException;

/** A stored object does not decode or does not match its recorded checksum. */
public final class CorruptObjectException extends IOException implements io.walstash.core.storage.BadContent {
    public CorruptObjectException(String message) {
        super(message);
    }

    public CorruptObjectException(String message, Throwable cause) {
        super(message, cause);
    }
}
