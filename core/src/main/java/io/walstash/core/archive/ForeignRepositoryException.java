package io.walstash.core.archive;

import java.io.IOException;

/** The repository serves another PostgreSQL cluster (or a layout this walstash can't write). */
public final class ForeignRepositoryException extends IOException {
    public ForeignRepositoryException(String message) {
        super(message);
    }
}
