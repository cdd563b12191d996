package io.walstash.core.storage;

import java.io.IOException;

/**
 * An add-on for storages that can create their own bucket or container, as
 * {@code walstash check --create-bucket} asks. Backends where that makes no sense (a filesystem
 * creates its directory on first write) don't implement it.
 */
public interface CreatesBucket {

    /** Creates the bucket or container if it is missing; returns whether it was created now. */
    boolean createBucketIfMissing() throws IOException;
}
