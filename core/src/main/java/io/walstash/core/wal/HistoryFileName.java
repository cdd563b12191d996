package io.walstash.core.wal;

import java.util.Objects;

/**
 * {@code TTTTTTTT.history}: the {@link TimelineHistory} of a timeline, written when the timeline
 * is created. Timeline 1 never has one, but the name is well formed and accepted.
 */
public record HistoryFileName(long timeline) implements WalFileName {
    static final String SUFFIX = ".history";

    public HistoryFileName {
        WalNames.requireTimeline(timeline);
    }

    /**
     * Parses {@code <8 upper-case hex digits>.history}.
     *
     * @throws IllegalArgumentException {@code malformed WAL file name '<name>': <reason>}
     */
    public static HistoryFileName parse(String name) {
        Objects.requireNonNull(name, "name");
        WalNames.requireBareName(name);
        if (name.length() != 8 + SUFFIX.length() || !name.endsWith(SUFFIX)) {
            throw WalNames.malformed(name, "expected 8 upper-case hex digits followed by " + SUFFIX);
        }
        long timeline = WalNames.hex8At(name, 0);
        try {
            return new HistoryFileName(timeline);
        } catch (IllegalArgumentException e) {
            throw WalNames.malformed(name, e.getMessage());
        }
    }

    @Override
    public String fileName() {
        return WalNames.hex8(timeline) + SUFFIX;
    }

    @Override
    public String toString() {
        return fileName();
    }
}
