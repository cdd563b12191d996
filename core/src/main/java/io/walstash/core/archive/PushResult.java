package io.walstash.core.archive;

/** What {@link WalArchive#push} did with one file. */
public sealed interface PushResult permits PushResult.Archived, PushResult.AlreadyArchived, PushResult.Conflict {

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
}
