package io.walstash.core.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimelineHistoryTest {
    /** 00000002.history as PostgreSQL 15 wrote it when a pg_basebackup standby was promoted. */
    private static final String PROMOTED_STANDBY = "1\t0/C000000\tno recovery target specified\n";

    @Test
    void readsWhatPostgresWrote() {
        TimelineHistory history = TimelineHistory.parse(2, PROMOTED_STANDBY);
        assertThat(history.timeline()).isEqualTo(2);
        assertThat(history.entries()).containsExactly(
                new TimelineHistory.Entry(1, Lsn.parse("0/C000000"), "no recovery target specified"));
        assertThat(history.timelines()).containsExactly(1L, 2L);
        assertThat(history.switchPoint(1)).contains(Lsn.parse("0/C000000"));
        assertThat(history.switchPoint(2)).isEmpty();
        assertThat(history.timelineAt(Lsn.parse("0/BFFFFFF"))).isEqualTo(1);
        assertThat(history.timelineAt(Lsn.parse("0/C000000"))).isEqualTo(2);
        assertThat(history.format()).isEqualTo(PROMOTED_STANDBY);
        assertThat(history.fileName()).hasToString("00000002.history");
    }

    @Test
    void skipsCommentsAndBlankLinesAndAcceptsAnyWhiteSpace() {
        // a recovery_target_time reason ends in a newline of its own, hence the blank line PostgreSQL leaves
        String text = "# copied by hand\r\n"
                + "1\t0/3000000\tbefore 2024-05-01 10:00:00+00\n"
                + "\n"
                + "   # indented comment\n"
                + "2   0/5000108  at restore point \"before upgrade\"  \r\n"
                + "\t\n"
                + "4\t1/0";
        TimelineHistory history = TimelineHistory.parse(7, text);
        assertThat(history.entries()).containsExactly(
                new TimelineHistory.Entry(1, Lsn.parse("0/3000000"), "before 2024-05-01 10:00:00+00"),
                new TimelineHistory.Entry(2, Lsn.parse("0/5000108"), "at restore point \"before upgrade\""),
                new TimelineHistory.Entry(4, Lsn.parse("1/0"), ""));
        assertThat(history.timelines()).containsExactly(1L, 2L, 4L, 7L);
        assertThat(history.switchPoint(4)).contains(Lsn.parse("1/0"));
        assertThat(history.switchPoint(3)).isEmpty();
        assertThat(history.timelineAt(Lsn.INVALID)).isEqualTo(1);
        assertThat(history.timelineAt(Lsn.parse("0/2FFFFFF"))).isEqualTo(1);
        assertThat(history.timelineAt(Lsn.parse("0/3000000"))).isEqualTo(2);
        assertThat(history.timelineAt(Lsn.parse("0/5000107"))).isEqualTo(2);
        assertThat(history.timelineAt(Lsn.parse("0/5000108"))).isEqualTo(4);
        assertThat(history.timelineAt(Lsn.parse("1/0"))).isEqualTo(7);
        assertThat(history.timelineAt(Lsn.parse("FFFFFFFF/FFFFFFFF"))).isEqualTo(7);
        assertThat(TimelineHistory.parse(7, history.format())).isEqualTo(history);
    }

    @Test
    void timelineOneHasNoAncestors() {
        TimelineHistory history = TimelineHistory.parse(1, "");
        assertThat(history).isEqualTo(TimelineHistory.of(1));
        assertThat(history.timelines()).containsExactly(1L);
        assertThat(history.timelineAt(Lsn.parse("5/0"))).isEqualTo(1);
        assertThat(history.format()).isEmpty();
    }

    @Test
    void childAppendsThisTimelineAsTheNewestAncestor() {
        TimelineHistory two = TimelineHistory.of(1).child(2, Lsn.parse("0/C000000"), "no recovery target specified");
        assertThat(two).isEqualTo(TimelineHistory.parse(2, PROMOTED_STANDBY));
        TimelineHistory three = two.child(3, Lsn.parse("0/D000000"), "after transaction 1234");
        assertThat(three.format()).isEqualTo(PROMOTED_STANDBY + "2\t0/D000000\tafter transaction 1234\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "x\\t0/1\\treason|1|'x' is not a timeline ID",
        "0\\t0/1\\treason|1|'0' is not a timeline ID",
        "-1\\t0/1\\treason|1|'-1' is not a timeline ID",
        "4294967296\\t0/1\\treason|1|'4294967296' is not a timeline ID",
        "1|1|expected a parent timeline and a switch point LSN",
        "1\\tzz/1\\treason|1|malformed LSN 'zz/1'",
        "1\\t0/1\\ta\\n\\n1\\t0/2\\tb|3|parent timelines must increase, but 1 follows 1",
        "# c\\n2\\t0/1\\ta\\n1\\t0/2\\tb|3|parent timelines must increase, but 1 follows 2",
        "1\\t0/1\\ta\\n5\\t0/2\\tb|2|parent timeline 5 is not below timeline 5",
        "1\\t0/2\\ta\\n2\\t0/1\\tb|2|switch point 0/1 of timeline 2 is before switch point 0/2",
    })
    void rejectsMalformedLinesNamingTheLine(String escapedText, int lineNumber, String reason) {
        String text = escapedText.replace("\\t", "\t").replace("\\n", "\n");
        String badLine = text.lines().toList().get(lineNumber - 1);
        assertThatThrownBy(() -> TimelineHistory.parse(5, text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line " + lineNumber + " '" + badLine + "'")
                .hasMessageContaining(reason);
    }

    @Test
    void rejectsInvalidHistoriesBuiltInCode() {
        Lsn lsn = Lsn.parse("0/3000000");
        assertThatThrownBy(() -> new TimelineHistory(0, List.of())).hasMessageContaining("timeline 0");
        assertThatThrownBy(() -> new TimelineHistory(2, List.of(new TimelineHistory.Entry(2, lsn, "x"))))
                .hasMessageContaining("parent timeline 2 is not below timeline 2");
        assertThatThrownBy(() -> new TimelineHistory.Entry(1, lsn, "two\nlines")).hasMessageContaining("one line");
        assertThatThrownBy(() -> new TimelineHistory.Entry(1, lsn, "trailing ")).hasMessageContaining("white space");
        assertThatThrownBy(() -> new TimelineHistory.Entry(1, lsn, "\tleading")).hasMessageContaining("white space");
        assertThatThrownBy(() -> TimelineHistory.parse(0, "")).hasMessageContaining("timeline 0");
    }

    @Property
    void formatThenParseGivesTheHistoryBack(@ForAll("histories") TimelineHistory history) {
        String text = history.format();
        assertThat(TimelineHistory.parse(history.timeline(), text)).isEqualTo(history);
        assertThat(text.lines().count()).isEqualTo(history.entries().size());
    }

    @Property
    void commentsAndBlankLinesChangeNothing(@ForAll("histories") TimelineHistory history, @ForAll("filler") String filler) {
        StringBuilder text = new StringBuilder(filler);
        for (String line : history.format().lines().toList()) {
            text.append(line).append('\n').append(filler);
        }
        assertThat(TimelineHistory.parse(history.timeline(), text.toString())).isEqualTo(history);
    }

    @Property
    void timelineAtFindsTheTimelineWhoseRangeHoldsTheLsn(@ForAll("histories") TimelineHistory history, @ForAll long position) {
        Lsn lsn = Lsn.of(position);
        // each ancestor holds [previous switch point, its own switch point); this timeline holds the rest
        Lsn begin = Lsn.INVALID;
        long expected = history.timeline();
        for (TimelineHistory.Entry entry : history.entries()) {
            if (begin.compareTo(lsn) <= 0 && lsn.compareTo(entry.switchPoint()) < 0) {
                expected = entry.parentTimeline();
                break;
            }
            begin = entry.switchPoint();
        }
        assertThat(history.timelineAt(lsn)).isEqualTo(expected);
        assertThat(history.timelines()).contains(history.timelineAt(lsn));
    }

    @Property
    void timelinesIncreaseToThisTimelineAndEachAncestorHasItsSwitchPoint(@ForAll("histories") TimelineHistory history) {
        List<Long> timelines = history.timelines();
        assertThat(timelines).isSorted().doesNotHaveDuplicates().endsWith(history.timeline());
        for (TimelineHistory.Entry entry : history.entries()) {
            assertThat(history.switchPoint(entry.parentTimeline())).isEqualTo(Optional.of(entry.switchPoint()));
            assertThat(history.timelineAt(entry.switchPoint())).isNotEqualTo(entry.parentTimeline());
        }
        assertThat(history.switchPoint(history.timeline())).isEmpty();
    }

    @Provide
    Arbitrary<TimelineHistory> histories() {
        // timelines as running sums of positive gaps stay increasing; sorting keeps switch points in order
        Arbitrary<Long> gaps = Arbitraries.oneOf(Arbitraries.longs().between(1, 3), Arbitraries.longs().between(1, 1L << 28));
        Arbitrary<TimelineHistory.Entry> draft = Combinators.combine(gaps, WalTestArbitraries.lsns(), reasons())
                .as((gap, switchPoint, reason) -> new TimelineHistory.Entry(gap, switchPoint, reason));
        return Combinators.combine(draft.list().ofMaxSize(8), gaps).as((drafts, lastGap) -> {
            List<Lsn> switchPoints = drafts.stream().map(TimelineHistory.Entry::switchPoint).sorted().toList();
            List<TimelineHistory.Entry> entries = new ArrayList<>();
            long timeline = 0;
            for (int i = 0; i < drafts.size(); i++) {
                timeline += drafts.get(i).parentTimeline();
                entries.add(new TimelineHistory.Entry(timeline, switchPoints.get(i), drafts.get(i).reason()));
            }
            return new TimelineHistory(timeline + lastGap, entries);
        });
    }

    /** Reasons as PostgreSQL writes them, and arbitrary single lines without surrounding white space. */
    private static Arbitrary<String> reasons() {
        return Arbitraries.oneOf(
                Arbitraries.of("no recovery target specified", "after transaction 1234", "at restore point \"nightly\"",
                        "before 2024-05-01 10:00:00+00", "after LSN 0/3000028", ""),
                Arbitraries.strings().ofMaxLength(30).map(TimelineHistoryTest::oneTrimmedLine));
    }

    private static String oneTrimmedLine(String s) {
        String line = s.replace('\n', '_').replace('\r', '_');
        int start = 0;
        int end = line.length();
        while (start < end && " \t\u000B\f".indexOf(line.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && " \t\u000B\f".indexOf(line.charAt(end - 1)) >= 0) {
            end--;
        }
        return line.substring(start, end);
    }

    @Provide
    Arbitrary<String> filler() {
        return Arbitraries.of("", "\n", "# comment\n", "  \t\n", "\t# 1\t0/0\tcommented out\n", "\r\n");
    }
}
