package io.walstash.core.wal;

import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The content of a backup history file ({@code 000000010000000000000002.00000028.backup}) that
 * {@code pg_backup_stop} writes into pg_wal: the lines PostgreSQL's own readers rely on, checked
 * against the file's name so that what enters the repository is what its name says.
 *
 * @param start          {@code START WAL LOCATION}
 * @param stop           {@code STOP WAL LOCATION}, not before {@code start}
 * @param startTimeline  {@code START TIMELINE}, when present (PostgreSQL 11 and later write it)
 */
public record BackupHistoryFile(Lsn start, Lsn stop, OptionalLong startTimeline) {
    private static final Pattern LOCATION = Pattern.compile(
            "^(START|STOP) WAL LOCATION: ([0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}) \\(file ([0-9A-F]{24})\\)$", Pattern.MULTILINE);
    private static final Pattern START_TIMELINE = Pattern.compile("^START TIMELINE: (\\d{1,10})$", Pattern.MULTILINE);
    /** A backup starts within its segment, whose size is a power of two of at least 1 MiB. */
    private static final long SMALLEST_SEGMENT = WalSegmentSize.MIN_BYTES;

    public BackupHistoryFile {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(stop, "stop");
        if (stop.compareTo(start) < 0) {
            throw new IllegalArgumentException("STOP WAL LOCATION " + stop + " is before START WAL LOCATION " + start);
        }
    }

    /**
     * Parses {@code text} as the backup history file {@code name}.
     *
     * @throws IllegalArgumentException naming what is missing or what disagrees with the name
     */
    public static BackupHistoryFile parse(BackupHistoryFileName name, String text) {
        Lsn start = null;
        Lsn stop = null;
        Matcher m = LOCATION.matcher(text);
        while (m.find()) {
            Lsn lsn = Lsn.parse(m.group(2));
            if (m.group(1).equals("START")) {
                if (start != null) {
                    throw new IllegalArgumentException("two START WAL LOCATION lines");
                }
                if (!m.group(3).equals(name.segment().fileName())) {
                    throw new IllegalArgumentException("START WAL LOCATION is in " + m.group(3) + ", but the file is named for "
                            + name.segment().fileName());
                }
                if (Long.remainderUnsigned(lsn.value(), SMALLEST_SEGMENT) != Long.remainderUnsigned(name.offset(), SMALLEST_SEGMENT)) {
                    throw new IllegalArgumentException("START WAL LOCATION " + lsn + " is not at offset "
                            + WalNames.hex8(name.offset()) + " the file's name gives");
                }
                start = lsn;
            } else {
                if (stop != null) {
                    throw new IllegalArgumentException("two STOP WAL LOCATION lines");
                }
                stop = lsn;
            }
        }
        if (start == null || stop == null) {
            throw new IllegalArgumentException("no " + (start == null ? "START" : "STOP") + " WAL LOCATION line");
        }
        OptionalLong timeline = OptionalLong.empty();
        Matcher t = START_TIMELINE.matcher(text);
        if (t.find()) {
            long tli = Long.parseLong(t.group(1));
            if (tli != name.timeline()) {
                throw new IllegalArgumentException("START TIMELINE " + tli + " is not the timeline " + name.timeline()
                        + " the file's name gives");
            }
            timeline = OptionalLong.of(tli);
        }
        return new BackupHistoryFile(start, stop, timeline);
    }
}
