package io.walstash.core.retention;

import io.walstash.core.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads a retention policy from the words an operator wrote ({@code FULL 2}, a window such as
 * {@code 7d}, a backup name or a time). What is wrong is returned as a value naming the problem, so
 * that each front end words it in its own terms.
 */
public final class RetentionPolicies {
    private RetentionPolicies() {
    }

    /** What reading a retain policy gave. */
    public sealed interface Reading permits Read, Malformed {
    }

    /** A policy. */
    public record Read(RetentionPolicy policy) implements Reading {
    }

    /** The words do not make a policy; {@code value} is the word concerned, if any. */
    public record Malformed(Problem problem, String value) implements Reading {
    }

    /** What is wrong with the words of a retain policy. */
    public enum Problem {
        /** Neither {@code [FULL|ALL] N} nor nothing. */
        NOT_SCOPE_AND_COUNT,
        /** The count is not a number. */
        COUNT_NOT_A_NUMBER,
        /** The count is below 1. */
        COUNT_BELOW_ONE,
        /** Neither a count nor a window: nothing says what to keep. */
        NOTHING_TO_KEEP
    }

    /** Reads {@code [FULL|ALL] N} from {@code words}, with an optional window (a duration such as 7d). */
    public static Reading retain(List<String> words, Optional<String> window) {
        return retain(words, window, Optional.empty());
    }

    /**
     * As {@link #retain(List, Optional)}, with {@code configuredCount} (the retain-backups setting)
     * standing in when the words name no count: {@code retain} alone, or {@code retain FULL}.
     */
    public static Reading retain(List<String> words, Optional<String> window, Optional<Integer> configuredCount) {
        RetentionPolicy.Scope scope = RetentionPolicy.Scope.ALL;
        List<String> rest = new ArrayList<>(words);
        if (!rest.isEmpty() && rest.get(0).matches("(?i)full|all")) {
            scope = RetentionPolicy.Scope.valueOf(rest.remove(0).toUpperCase(Locale.ROOT));
        }
        if (rest.isEmpty() && configuredCount.isPresent()) {
            rest.add(Integer.toString(configuredCount.get()));
        } else if (rest.size() > 1 || (rest.isEmpty() && words.size() == 1)) {
            return new Malformed(Problem.NOT_SCOPE_AND_COUNT, String.join(" ", words));
        }
        int count = 0;
        if (!rest.isEmpty()) {
            try {
                count = Integer.parseInt(rest.get(0));
            } catch (NumberFormatException e) {
                return new Malformed(Problem.COUNT_NOT_A_NUMBER, rest.get(0));
            }
            if (count < 1) {
                return new Malformed(Problem.COUNT_BELOW_ONE, rest.get(0));
            }
        }
        Duration duration = window.map(Durations::parse).orElse(null);
        if (count == 0 && duration == null) {
            return new Malformed(Problem.NOTHING_TO_KEEP, "");
        }
        return new Read(new RetentionPolicy.Retain(scope, count, duration));
    }

    /** A backup name, or (starting with a digit) a time: the backups older than it go. */
    public static RetentionPolicy before(String target) {
        if (target.isEmpty() || !Character.isDigit(target.charAt(0))) {
            return new RetentionPolicy.BeforeBackup(target);
        }
        return new RetentionPolicy.BeforeTime(parseTime(target));
    }

    /** An ISO-8601 instant (with an offset), or a date meaning its midnight UTC. */
    public static Instant parseTime(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException notAnInstant) {
            try {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notADate) {
                throw new IllegalArgumentException("malformed time '" + text
                        + "': expected an ISO-8601 instant such as 2026-11-20T08:00:00Z or a date such as 2026-11-20");
            }
        }
    }
}
