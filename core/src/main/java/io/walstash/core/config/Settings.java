package io.walstash.core.config;

import java.util.Map;
import java.util.Optional;

/**
 * Named configuration values, already merged from their sources (options, environment, file).
 * Names are the environment-variable spellings, such as {@code WALSTASH_STORAGE} or
 * {@code AWS_REGION}. Values may be secrets: never log them. Typed values are read through their
 * declaration: {@code ArchiveSettings.LOOKAHEAD.get(settings)} (see {@link Setting}).
 */
@FunctionalInterface
public interface Settings {

    Optional<String> get(String name);

    /**
     * The value given for {@code setting} and the name it was given under: its own name first, then
     * each alias. {@link Configuration} answers source by source, so the environment's alias wins over
     * the config file's name.
     */
    default Optional<Given> given(Setting<?> setting) {
        for (String name : setting.names()) {
            Optional<String> value = get(name);
            if (value.isPresent() && !value.get().isBlank()) {
                return Optional.of(new Given(name, value.get().strip()));
            }
        }
        return Optional.empty();
    }

    /** A value and the name it was set under (a setting's own or an alias), for messages. */
    record Given(String name, String value) {
        @Override
        public String toString() {
            return name; // the value may be a secret
        }
    }

    static Settings of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return name -> Optional.ofNullable(copy.get(name)).filter(v -> !v.isEmpty());
    }

    static Settings empty() {
        return name -> Optional.empty();
    }
}
