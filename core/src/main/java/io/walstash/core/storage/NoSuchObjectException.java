package io.walstash.core.storage;

import java.io.FileNotFoundException;

/** The object asked for does not exist in storage. */
public final class NoSuchObjectException extends FileNotFoundException {
    private final String key;

    public NoSuchObjectException(String key) {
        super("no object '" + key + "' in storage");
        this.key = key;
    }

    public String key() {
        return key;
    }
}
