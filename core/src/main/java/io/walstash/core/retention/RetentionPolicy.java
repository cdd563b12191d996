package io.walstash.core.retention;

import io.walstash.core.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What {@code delete} keeps. Permanent backups, and the backups they depend on, are kept under
 * every policy and are not counted by any.
 */
public sealed interface RetentionPolicy {

    /** Which backups {@link Retain#count} counts. */
    enum Scope {
        /** Full backups; the deltas built on a kept full are kept with it. */
        FULL,
        /** Backups of any kind; the base chain of each kept delta is kept with it. */
        ALL
    }

    /** The policy in words, such as {@code retain FULL 2 window 7d}; a front end may word it in its own syntax. */
    String describe();

    /**
     * Keeps the newest {@code count} backups of {@code scope} (0: no count), and, with a
     * {@code window}, every backup that finished within it plus the newest one that finished
     * before it, so that any point in the window is recoverable. Both given: the union.
     */
    record Retain(Scope scope, int count, Duration window) implements RetentionPolicy {
        public Retain {
            Objects.requireNonNull(scope, "scope");
            if (count < 0) {
                throw new IllegalArgumentException("retain needs a positive number of backups, not " + count);
            }
            if (window != null && (window.isNegative() || window.isZero())) {
                throw new IllegalArgumentException("the retention window must be longer than zero");
            }
            if (count == 0 && window == null) {
                throw new IllegalArgumentException("retain needs a number of backups of at least 1 or a window");
            }
        }

        @Override
        public String describe() {
            return "retain" + (count > 0 ? " " + scope + " " + count : "")
                    + (window != null ? " window " + Durations.format(window) : "");
        }
    }

    /** Deletes the backups older than backup {@code name}; that one is kept. */
    record BeforeBackup(String name) implements RetentionPolicy {
        public BeforeBackup {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("delete before needs a backup name or a time");
            }
        }

        @Override
        public String describe() {
            return "before " + name;
        }
    }

    /** Deletes the backups that finished before {@code time}; refuses to delete every backup. */
    record BeforeTime(Instant time) implements RetentionPolicy {
        public BeforeTime {
            Objects.requireNonNull(time, "time");
        }

        @Override
        public String describe() {
            return "before " + time;
        }
    }

    /** Deletes every backup and all WAL, except permanent backups and what they need. */
    record Everything() implements RetentionPolicy {
        @Override
        public String describe() {
            return "everything";
        }
    }
}
