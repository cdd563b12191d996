package io.walstash.core.spool;

/** What {@code WalArchive.push} did with one file. */
public sealed interface PushResult permits PushResult.Archived, PushResult.AlreadyArchived, PushResult.Conflict,
        PushResult.Spooled {

    String key();

    /** Stored now, durably. */
    record Archived(String key, long plainBytes, long storedBytes) implements PushResult {
    }

    /** Already stored with identical content; nothing was written. */
    record AlreadyArchived(String key) implements PushResult {
    }

    /** Stored with different content; nothing was written and the stored object is untouched. */
    record Conflict(String key, String detail) implements PushResult {
    }

    /**
     * Storage could not be reached, so the file was copied durably into the local spool
     * ({@code WALSTASH_SPOOL}); it goes to storage when the spool is drained.
     *
     * @param name      the WAL file name
     * @param spoolPath the spooled copy
     * @param reason    why storage did not take it
     */
    record Spooled(String name, java.nio.file.Path spoolPath, String reason) implements PushResult {
        /** The WAL file name: the object has no key in storage yet. */
        @Override
        public String key() {
            return name;
        }
    }
}
