package io.walstash.core.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as operators write them: a number and a unit, possibly several ({@code 26h}, {@code 15m},
 * {@code 7d}, {@code 1h30m}, {@code 90s}). Units: {@code ms}, {@code s}, {@code m} (or {@code min}), {@code h},
 * {@code d} (24 hours), {@code w} (7 days); case does not matter. A bare number is refused because
 * it could mean seconds or minutes.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d{1,12})(ms|min|[smhdw])");

    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException {@code malformed duration '<text>': …} for anything else
     */
    public static Duration parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw malformed(text, "it is empty");
        }
        Matcher m = PART.matcher(s);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw malformed(text, "expected a number and a unit (ms, s, m, h, d, w), such as 26h, 15m or 7d");
            }
            long n = Long.parseLong(m.group(1));
            Duration part = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m", "min" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(Math.multiplyExact(n, 7L));
            };
            total = total.plus(part);
            at = m.end();
        }
        return total;
    }

    /**
     * The shortest form {@link #parse} reads back as {@code duration} (whole milliseconds), e.g.
     * {@code 1d2h}, {@code 15m}, {@code 0s}; negative durations get a leading '-' (never parsed:
     * they only appear in messages).
     */
    public static String format(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1000L, 1L};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            long n = millis / sizes[i];
            if (n > 0) {
                out.append(n).append(units[i]);
                millis -= n * sizes[i];
            }
        }
        return out.toString();
    }

    /** A short human form for ages in status output: the two largest units, e.g. {@code 2h5m}. */
    public static String approximate(Duration duration) {
        if (duration.isNegative()) {
            return "-" + approximate(duration.negated());
        }
        long seconds = duration.toSeconds();
        if (seconds < 60) {
            return seconds + "s";
        }
        long[] sizes = {86_400L, 3_600L, 60L, 1L};
        String[] units = {"d", "h", "m", "s"};
        StringBuilder out = new StringBuilder();
        int written = 0;
        for (int i = 0; i < sizes.length && written < 2; i++) {
            long n = seconds / sizes[i];
            if (n > 0 || written > 0) {
                if (n > 0) {
                    out.append(n).append(units[i]);
                }
                seconds -= n * sizes[i];
                written++;
            }
        }
        return out.toString();
    }

    private static IllegalArgumentException malformed(String text, String reason) {
        return new IllegalArgumentException("malformed duration '" + text + "': " + reason);
    }
}
