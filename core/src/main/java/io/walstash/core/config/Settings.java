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

    static Settings of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return name -> Optional.ofNullable(copy.get(name)).filter(v -> !v.isEmpty());
    }

    static Settings empty() {
        return name -> Optional.empty();
    }
}
