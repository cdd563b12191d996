package io.walstash.core.storage;

import java.io.IOException;

/**
 * An add-on for storages that can create their own bucket or container, as
 * {@code walstash check --create-bucket} asks, and set it up for archiving. Backends where that makes
 * no sense (a filesystem creates its directory on first write) don't implement it.
 */
public interface CreatesBucket {

    /** Creates the bucket or container if it is missing; returns whether it was created now. */
    boolean createBucketIfMissing() throws IOException;

    /**
     * Makes the bucket abort the multipart uploads under this storage's prefix that are still
     * unfinished {@code days} days after they began, keeping every rule the bucket already has. A
     * store that refuses answers {@link UploadCleanup.Refused}, not an exception: the bucket works
     * without the rule. The default: a backend that keeps no unfinished uploads needs none.
     */
    default UploadCleanup abortIncompleteUploads(int days) throws IOException {
        return new UploadCleanup.NotApplicable("this storage keeps no unfinished uploads");
    }

    /** Whether the bucket keeps old versions, as far as the backend tells; the default: it does not say. */
    default Versioning versioning() throws IOException {
        return new Versioning(Versioning.State.UNKNOWN, "this storage does not say");
    }
}
