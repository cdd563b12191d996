package io.walstash.core.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values (counts, sizes, durations) from {@link Settings}; a malformed value fails with
 * a message naming the setting and the accepted forms. Values here are never secrets, so they may
 * be quoted in errors.
 */
public final class SettingValues {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(I?B?)", Pattern.CASE_INSENSITIVE);

    private SettingValues() {
    }

    /** A non-negative whole number, or {@code fallback} when unset. */
    public static int count(Settings settings, String name, int fallback) {
        return read(settings, name, fallback, "a non-negative number", value -> {
            int n = Integer.parseInt(value);
            return n >= 0 ? Optional.of(n) : Optional.empty();
        });
    }

    /** A size in bytes: {@code 1048576}, {@code 512MiB}, {@code 1GiB}, {@code 10G} (powers of 1024). */
    public static long bytes(Settings settings, String name, long fallback) {
        return read(settings, name, fallback, "a size such as 1073741824, 512MiB or 1GiB", value -> {
            Matcher m = SIZE.matcher(value);
            if (!m.matches()) {
                return Optional.empty();
            }
            long n = Long.parseLong(m.group(1));
            int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "K" -> 10;
                case "M" -> 20;
                case "G" -> 30;
                case "T" -> 40;
                default -> 0;
            };
            return n <= (Long.MAX_VALUE >> shift) ? Optional.of(n << shift) : Optional.empty();
        });
    }

    /**
     * A duration as {@link Durations} reads it ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h30m});
     * in a setting a bare number means seconds, as in WAL-G's and libpq's timeouts.
     */
    public static Duration duration(Settings settings, String name, Duration fallback) {
        return read(settings, name, fallback, "a duration such as 120 (seconds), 500ms, 30s or 2m", value -> {
            String text = value.strip();
            return Optional.of(text.matches("\\d{1,12}") ? Duration.ofSeconds(Long.parseLong(text)) : Durations.parse(text));
        });
    }

    private static <T> T read(Settings settings, String name, T fallback, String forms, Function<String, Optional<T>> parser) {
        Optional<String> value = settings.get(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            Optional<T> parsed = parser.apply(value.get());
            if (parsed.isPresent()) {
                return parsed.get();
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be " + forms + ", not " + value.get());
    }
}
