package io.walstash.core.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Short durations as operators type them: a number and a unit, {@code 30s}, {@code 30m},
 * {@code 12h}, {@code 7d}, {@code 2w}, or several in a row from the largest unit down
 * ({@code 1d12h}). A day is 24 hours; there are no months or years, whose length varies.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d{1,9})([wdhms])");
    private static final String EXPECTED = "expected a number and a unit w, d, h, m or s, such as 7d, 12h, 30m or 1d12h";
    private static final String UNITS = "wdhms";

    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException {@code malformed duration '<text>': expected …}
     */
    public static Duration parse(String text) {
        Objects.requireNonNull(text, "text");
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.isEmpty()) {
            throw malformed(text);
        }
        Matcher m = PART.matcher(lower);
        Duration total = Duration.ZERO;
        int at = 0;
        int lastUnit = -1;
        while (at < lower.length()) {
            if (!m.find(at) || m.start() != at) {
                throw malformed(text);
            }
            int unit = UNITS.indexOf(m.group(2).charAt(0));
            if (unit <= lastUnit) {
                // "1h1d" or "1d1d" is more likely a typo than a wish
                throw new IllegalArgumentException("malformed duration '" + text + "': units must go from the largest down, each once");
            }
            lastUnit = unit;
            total = total.plus(unit(unit).multipliedBy(Long.parseLong(m.group(1))));
            at = m.end();
        }
        return total;
    }

    /** Text {@link #parse} reads back as {@code duration} (whole seconds, not negative), in days and smaller units. */
    public static String format(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.getNano() != 0) {
            throw new IllegalArgumentException("cannot format " + duration + ": only whole non-negative seconds");
        }
        if (duration.isZero()) {
            return "0s";
        }
        StringBuilder text = new StringBuilder();
        long seconds = duration.getSeconds();
        for (int i = 1; i < UNITS.length(); i++) { // no weeks: "10d" reads better than "1w3d"
            long size = unit(i).getSeconds();
            long count = seconds / size;
            if (count > 0) {
                text.append(count).append(UNITS.charAt(i));
                seconds -= count * size;
            }
        }
        return text.toString();
    }

    private static Duration unit(int index) {
        return switch (UNITS.charAt(index)) {
            case 'w' -> Duration.ofDays(7);
            case 'd' -> Duration.ofDays(1);
            case 'h' -> Duration.ofHours(1);
            case 'm' -> Duration.ofMinutes(1);
            default -> Duration.ofSeconds(1);
        };
    }

    private static IllegalArgumentException malformed(String text) {
        return new IllegalArgumentException("malformed duration '" + text + "': " + EXPECTED);
    }
}
