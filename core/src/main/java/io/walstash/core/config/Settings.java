package io.walstash.core.config;

import java.util.Map;
import java.util.Optional;

/**
 * Named configuration values, already merged from their sources (options, environment, file).
 * Names are the environment-variable spellings, such as {@code WALSTASH_STORAGE} or
 * {@code AWS_REGION}. Values may be secrets: never log them.
 */
@FunctionalInterface
public interface Settings {

    Optional<String> get(String name);

    /**
     * The whole number {@code name} is set to, or {@code fallback} when it is not set; fails with a
     * one-line message naming the setting when the value is not a number of at least {@code minimum}.
     */
    default int integer(String name, int fallback, int minimum) {
        Optional<String> value = get(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.get());
            if (n >= minimum) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be " + (minimum == 0 ? "a non-negative number"
                : minimum == 1 ? "a positive number" : "a number of at least " + minimum) + ", not " + value.get());
    }

    static Settings of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return name -> Optional.ofNullable(copy.get(name)).filter(v -> !v.isEmpty());
    }

    static Settings empty() {
        return name -> Optional.empty();
    }
}
