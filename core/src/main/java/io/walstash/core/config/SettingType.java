package io.walstash.core.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kind of value a {@link Setting} holds, with the one parser walstash has for it: whole numbers,
 * sizes, durations, text, a choice among words, booleans and http(s) URLs. Written without lambdas:
 * the daemon client's fast path declares its settings too and pays for every bootstrap method.
 *
 * @param <T> the parsed value's type
 */
public final class SettingType<T> {
    enum Kind { COUNT, SIZE, DURATION, TEXT, CHOICE, BOOLEAN, URL }

    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*(?:([KMGT])I?B?|B)?", Pattern.CASE_INSENSITIVE);
    private static final long[] SIZE_UNITS = {1L << 40, 1L << 30, 1L << 20, 1L << 10};
    private static final String[] SIZE_NAMES = {"TiB", "GiB", "MiB", "KiB"};

    private final Kind kind;
    private final long min;
    private final long max;
    private final List<String> choices;

    private SettingType(Kind kind, long min, long max, List<String> choices) {
        this.kind = kind;
        this.min = min;
        this.max = max;
        this.choices = choices;
    }

    /** A whole number in {@code min..max}. */
    public static SettingType<Integer> count(int min, int max) {
        return new SettingType<>(Kind.COUNT, min, max, List.of());
    }

    /** Bytes: {@code 1048576}, {@code 512MiB}, {@code 1GiB}, {@code 16M}, {@code 10G} (powers of 1024), in {@code min..max}. */
    public static SettingType<Long> size(long min, long max) {
        return new SettingType<>(Kind.SIZE, min, max, List.of());
    }

    /**
     * A duration in {@code min..max}: a bare number is seconds (as WAL-G's and libpq's timeouts),
     * otherwise {@link Durations} ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h30m}) or ISO-8601 ({@code PT90S}).
     */
    public static SettingType<Duration> duration(Duration min, Duration max) {
        return new SettingType<>(Kind.DURATION, min.toMillis(), max.toMillis(), List.of());
    }

    /** Any text; secrets, paths, names. */
    public static SettingType<String> text() {
        return new SettingType<>(Kind.TEXT, 0, 0, List.of());
    }

    /** One of {@code choices}, matched ignoring case and answered in the declared spelling. */
    public static SettingType<String> choice(String... choices) {
        return new SettingType<>(Kind.CHOICE, 0, 0, List.of(choices));
    }

    /** {@code true}/{@code false}, {@code 1}/{@code 0}, {@code yes}/{@code no}, {@code on}/{@code off}. */
    public static SettingType<Boolean> bool() {
        return new SettingType<>(Kind.BOOLEAN, 0, 0, List.of());
    }

    /** An {@code http://} or {@code https://} URL with a host and no user info (credentials go in their own settings). */
    public static SettingType<URI> url() {
        return new SettingType<>(Kind.URL, 0, 0, List.of());
    }

    /** Whether a refused value may be quoted back: not a URL's, whose query may carry a token. */
    public boolean quotesValue() {
        return kind != Kind.URL;
    }

    /** The choices of a {@link #choice} type, else empty. */
    public List<String> choices() {
        return choices;
    }

    /**
     * Parses {@code value} (already stripped, not blank).
     *
     * @throws IllegalArgumentException whose message completes "NAME …": what was wrong, never the value
     */
    @SuppressWarnings("unchecked")
    public T parse(String value) {
        Objects.requireNonNull(value, "value");
        Object parsed = switch (kind) {
            case COUNT -> count(value);
            case SIZE -> size(value);
            case DURATION -> duration(value);
            case TEXT -> value;
            case CHOICE -> choose(value);
            case BOOLEAN -> bool(value);
            case URL -> url(value);
        };
        return (T) parsed;
    }

    /** The accepted forms, completing "NAME must be …". */
    public String forms() {
        return switch (kind) {
            case COUNT -> min == 0 && max == Integer.MAX_VALUE ? "a non-negative number"
                    : min == 1 && max == Integer.MAX_VALUE ? "a positive number"
                    : max == Integer.MAX_VALUE ? "a number of at least " + min
                    : "a whole number from " + min + " to " + max;
            case SIZE -> "a size such as 1073741824, 512MiB or 1GiB" + range(formatSize(min), formatSize(max), max == Long.MAX_VALUE);
            case DURATION -> min == 1 && max == Long.MAX_VALUE ? "a positive duration such as 120 (seconds), 500ms, 30s or 2m"
                    : "a duration such as 120 (seconds), 500ms, 30s or 2m"
                    + range(Durations.format(Duration.ofMillis(min)), Durations.format(Duration.ofMillis(max)), max == Long.MAX_VALUE);
            case TEXT -> "text";
            case CHOICE -> choices.size() == 1 ? choices.get(0)
                    : String.join(", ", choices.subList(0, choices.size() - 1)) + " or " + choices.get(choices.size() - 1);
            case BOOLEAN -> "true or false";
            case URL -> "an http:// or https:// URL such as https://host:9000";
        };
    }

    /** {@code value} as an operator would write it, for --help and the README: {@code 1GiB}, {@code 2m}. */
    public String format(Object value) {
        if (value instanceof Duration d) {
            return Durations.format(d);
        }
        if (value instanceof Long bytes && kind == Kind.SIZE) {
            return formatSize(bytes);
        }
        return String.valueOf(value);
    }

    private static String range(String low, String high, boolean unbounded) {
        if (unbounded) {
            return low.equals("0") || low.equals("0s") ? "" : ", at least " + low;
        }
        return ", from " + low + " to " + high;
    }

    static String formatSize(long bytes) {
        for (int i = 0; i < SIZE_UNITS.length; i++) {
            if (bytes != 0 && bytes % SIZE_UNITS[i] == 0) {
                return bytes / SIZE_UNITS[i] + SIZE_NAMES[i];
            }
        }
        return Long.toString(bytes);
    }

    private int count(String value) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a whole number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("out of range");
        }
        return (int) n;
    }

    private long size(String value) {
        Matcher m = SIZE.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("too large");
        }
        int shift = m.group(2) == null ? 0 : switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 40;
        };
        if (n > (Long.MAX_VALUE >> shift) || (n << shift) < min || (n << shift) > max) {
            throw new IllegalArgumentException("out of range");
        }
        return n << shift;
    }

    private Duration duration(String value) {
        String text = value.toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (text.matches("\\d{1,12}")) {
                d = Duration.ofSeconds(Long.parseLong(text));
            } else if (text.startsWith("pt")) {
                d = Duration.parse(text);
            } else {
                d = Durations.parse(text);
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("not a duration");
        }
        if (d.isNegative() || d.toMillis() < min || d.compareTo(Duration.ofMillis(max)) > 0) {
            throw new IllegalArgumentException("out of range");
        }
        return d;
    }

    private String choose(String value) {
        for (String choice : choices) {
            if (choice.equalsIgnoreCase(value)) {
                return choice;
            }
        }
        throw new IllegalArgumentException("not a choice");
    }

    private static boolean bool(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on":
                return true;
            case "false", "0", "no", "off":
                return false;
            default:
                throw new IllegalArgumentException("neither true nor false");
        }
    }

    private static URI url(String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not a URL: " + e.getReason(), e);
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("must not carry credentials; set them in their own settings");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("not http(s)");
        }
        return uri;
    }

    /** Whether a failure's own message should be said instead of the accepted forms. */
    static boolean speaksForItself(IllegalArgumentException e) {
        return e.getMessage() != null && (e.getMessage().startsWith("is not a URL") || e.getMessage().startsWith("must not"));
    }

    @Override
    public String toString() {
        return forms();
    }
}
