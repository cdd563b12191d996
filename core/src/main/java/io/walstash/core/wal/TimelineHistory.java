package io.walstash.core.wal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The contents of a timeline's {@code .history} file: the chain of ancestor timelines it branched
 * from, oldest first, each with the LSN where the next timeline took over.
 *
 * <p>The text format is PostgreSQL's ({@code timeline.c}): one line per ancestor,
 * {@code parentTLI<tab>switchpoint<tab>reason}, where the switch point is an LSN in
 * {@code X/Y} form. Blank lines and lines whose first non-blank character is {@code #} are
 * ignored.
 *
 * @param timeline the timeline this history leads to
 * @param entries its ancestors, oldest first; parent timelines strictly increasing and below
 *     {@code timeline}, switch points never decreasing
 */
public record TimelineHistory(long timeline, List<Entry> entries) {

    /**
     * One ancestor: timeline {@code parentTimeline} held the WAL up to (not including)
     * {@code switchPoint}, where the next timeline of the chain branched off.
     *
     * @param reason why PostgreSQL switched, e.g. {@code no recovery target specified}; one line,
     *     no leading or trailing white space, so that it survives {@link #format()} and {@link #parse}
     */
    public record Entry(long parentTimeline, Lsn switchPoint, String reason) {
        public Entry {
            WalNames.requireTimeline(parentTimeline);
            Objects.requireNonNull(switchPoint, "switchPoint");
            Objects.requireNonNull(reason, "reason");
            if (reason.indexOf('\n') >= 0 || reason.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("timeline switch reason must be one line: '" + reason + "'");
            }
            if (!reason.isEmpty() && (isSpace(reason.charAt(0)) || isSpace(reason.charAt(reason.length() - 1)))) {
                // parse() could not give it back: white space around the reason separates fields
                throw new IllegalArgumentException("timeline switch reason must not start or end with white space: '" + reason + "'");
            }
        }
    }

    public TimelineHistory {
        WalNames.requireTimeline(timeline);
        entries = List.copyOf(entries);
        Entry previous = null;
        for (Entry entry : entries) {
            String problem = problemWith(timeline, previous, entry);
            if (problem != null) {
                throw new IllegalArgumentException("invalid history of timeline " + timeline + ": " + problem);
            }
            previous = entry;
        }
    }

    /** The history of a timeline without ancestors, such as timeline 1. */
    public static TimelineHistory of(long timeline) {
        return new TimelineHistory(timeline, List.of());
    }

    /**
     * Parses the text of {@code timeline}'s history file.
     *
     * @throws IllegalArgumentException naming the line number and its content for a line that is not
     *     {@code parentTLI switchpoint [reason]}, or whose timelines or switch points are out of order
     */
    public static TimelineHistory parse(long timeline, String text) {
        WalNames.requireTimeline(timeline);
        Objects.requireNonNull(text, "text");
        List<Entry> entries = new ArrayList<>();
        int lineNumber = 0;
        for (Iterator<String> lines = text.lines().iterator(); lines.hasNext(); ) {
            String line = lines.next();
            lineNumber++;
            int parentStart = skipSpace(line, 0);
            if (parentStart == line.length() || line.charAt(parentStart) == '#') {
                continue;
            }
            int parentEnd = skipNonSpace(line, parentStart);
            int lsnStart = skipSpace(line, parentEnd);
            int lsnEnd = skipNonSpace(line, lsnStart);
            if (lsnStart == lsnEnd) {
                throw malformedLine(timeline, lineNumber, line, "expected a parent timeline and a switch point LSN");
            }
            long parent = parseTimelineId(line.substring(parentStart, parentEnd));
            if (parent < 0) {
                throw malformedLine(timeline, lineNumber, line, "'" + line.substring(parentStart, parentEnd)
                        + "' is not a timeline ID (a decimal number from 1 to " + WalNames.MAX_UINT32 + ")");
            }
            Lsn switchPoint;
            try {
                switchPoint = Lsn.parse(line.substring(lsnStart, lsnEnd));
            } catch (IllegalArgumentException e) {
                throw malformedLine(timeline, lineNumber, line, e.getMessage());
            }
            int reasonStart = skipSpace(line, lsnEnd);
            int reasonEnd = line.length();
            while (reasonEnd > reasonStart && isSpace(line.charAt(reasonEnd - 1))) {
                reasonEnd--;
            }
            Entry entry = new Entry(parent, switchPoint, line.substring(reasonStart, reasonEnd));
            String problem = problemWith(timeline, entries.isEmpty() ? null : entries.get(entries.size() - 1), entry);
            if (problem != null) {
                throw malformedLine(timeline, lineNumber, line, problem);
            }
            entries.add(entry);
        }
        return new TimelineHistory(timeline, entries);
    }

    /** The history of a new timeline that branches off this one at {@code switchPoint}. */
    public TimelineHistory child(long childTimeline, Lsn switchPoint, String reason) {
        List<Entry> childEntries = new ArrayList<>(entries);
        childEntries.add(new Entry(timeline, switchPoint, reason));
        return new TimelineHistory(childTimeline, childEntries);
    }

    /** The name of the file this history is stored in. */
    public HistoryFileName fileName() {
        return new HistoryFileName(timeline);
    }

    /** The ancestors, oldest first, then this timeline. */
    public List<Long> timelines() {
        List<Long> result = new ArrayList<>(entries.size() + 1);
        for (Entry entry : entries) {
            result.add(entry.parentTimeline());
        }
        result.add(timeline);
        return List.copyOf(result);
    }

    /**
     * Where {@code ancestorTimeline} ended and its successor in this history began; empty for this
     * timeline itself and for timelines that are not ancestors.
     */
    public Optional<Lsn> switchPoint(long ancestorTimeline) {
        for (Entry entry : entries) {
            if (entry.parentTimeline() == ancestorTimeline) {
                return Optional.of(entry.switchPoint());
            }
        }
        return Optional.empty();
    }

    /**
     * The timeline of this history that holds {@code lsn}: the oldest ancestor whose switch point is
     * after {@code lsn}, else this timeline (PostgreSQL's {@code tliOfPointInHistory}).
     */
    public long timelineAt(Lsn lsn) {
        Objects.requireNonNull(lsn, "lsn");
        for (Entry entry : entries) {
            if (entry.switchPoint().compareTo(lsn) > 0) {
                return entry.parentTimeline();
            }
        }
        return timeline;
    }

    /** The history file's text, as PostgreSQL writes it; {@link #parse} gives this history back. */
    public String format() {
        StringBuilder text = new StringBuilder();
        for (Entry entry : entries) {
            text.append(entry.parentTimeline()).append('\t')
                    .append(entry.switchPoint()).append('\t')
                    .append(entry.reason()).append('\n');
        }
        return text.toString();
    }

    /** Why {@code entry} cannot follow {@code previous} in {@code timeline}'s history, or null if it can. */
    private static String problemWith(long timeline, Entry previous, Entry entry) {
        if (entry.parentTimeline() >= timeline) {
            return "parent timeline " + entry.parentTimeline() + " is not below timeline " + timeline;
        }
        if (previous != null && entry.parentTimeline() <= previous.parentTimeline()) {
            return "parent timelines must increase, but " + entry.parentTimeline() + " follows " + previous.parentTimeline();
        }
        // PostgreSQL does not check this, but it writes each switch point on the timeline that began at the
        // previous one; a history that goes back is corrupt and would make timelineAt meaningless
        if (previous != null && entry.switchPoint().compareTo(previous.switchPoint()) < 0) {
            return "switch point " + entry.switchPoint() + " of timeline " + entry.parentTimeline()
                    + " is before switch point " + previous.switchPoint() + " of timeline " + previous.parentTimeline();
        }
        return null;
    }

    /** A decimal timeline ID from 1 to FFFFFFFF, or -1. */
    private static long parseTimelineId(String text) {
        // ten digits hold any uint32; the digit check rejects signs and non-ASCII digits that parseLong would take
        if (text.isEmpty() || text.length() > 10) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        long value = Long.parseLong(text);
        return value >= 1 && value <= WalNames.MAX_UINT32 ? value : -1;
    }

    private static IllegalArgumentException malformedLine(long timeline, int lineNumber, String line, String reason) {
        return new IllegalArgumentException("malformed history of timeline " + timeline + ", line " + lineNumber
                + " '" + line + "': " + reason);
    }

    /** C's isspace in the "C" locale, which PostgreSQL's reader uses. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    private static int skipSpace(String line, int from) {
        int i = from;
        while (i < line.length() && isSpace(line.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int skipNonSpace(String line, int from) {
        int i = from;
        while (i < line.length() && !isSpace(line.charAt(i))) {
            i++;
        }
        return i;
    }
}
