package io.walstash.core.progress;

/**
 * Told of the counts of long work (a base backup, a restore, a verification, a deletion) as it goes,
 * so a front end can show progress; core only counts, it never renders. Methods are called from the
 * service's worker threads, so implementations must be thread-safe and cheap (no I/O under a lock
 * the workers wait for). Totals may be unknown: then they are -1.
 */
public interface WorkProgress {
    /** Reports nothing. */
    WorkProgress NONE = new WorkProgress() {
    };

    /** The work named {@code task} starts; {@code files} and {@code bytes} are its totals or -1. */
    default void begin(String task, long files, long bytes) {
    }

    /** {@code files} more files and {@code bytes} more bytes are done. */
    default void advance(long files, long bytes) {
    }

    /** The work ended, done or failed. */
    default void end() {
    }
}
