package io.walstash.core.receive;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.TimelineHistory;
import io.walstash.core.wal.WalSegmentSize;
import org.junit.jupiter.api.Test;

class HistoricStretchTest {
    private static final WalSegmentSize SIZE = WalSegmentSize.ofBytes(1 << 20);
    /** 1 → 2 at 0/512345 (in segment 5), 2 → 3 at 0/800000 (a segment boundary). */
    private static final TimelineHistory THREE = TimelineHistory.of(1)
            .child(2, Lsn.parse("0/512345"), "no recovery target specified")
            .child(3, Lsn.parse("0/800000"), "no recovery target specified");

    @Test
    void aPositionOnItsOwnTimelinesStretchNeedsNoAncestor() {
        assertThat(WalReceiver.historicStretch(THREE, Lsn.parse("0/800000"), SIZE)).isEmpty();
        assertThat(WalReceiver.historicStretch(THREE, Lsn.parse("0/9ABCDE"), SIZE)).isEmpty();
        assertThat(WalReceiver.historicStretch(TimelineHistory.of(1), Lsn.parse("0/100000"), SIZE)).isEmpty();
    }

    @Test
    void aPositionBeforeTheSwitchSegmentIsStreamedFromTheAncestorUpToThatSegment() {
        assertThat(WalReceiver.historicStretch(THREE, Lsn.parse("0/200000"), SIZE)).contains(
                new WalReceiver.HistoricStretch(1, SegmentFileName.of(1, 5, SIZE)));
        assertThat(WalReceiver.historicStretch(THREE, Lsn.parse("0/4FFFFF"), SIZE)).contains(
                new WalReceiver.HistoricStretch(1, SegmentFileName.of(1, 5, SIZE)));
    }

    @Test
    void theSwitchSegmentItselfComesFromTheNextTimelinesCopy() {
        // segment 5 holds timeline 1's end and timeline 2's start: timeline 2's file has both
        assertThat(WalReceiver.historicStretch(THREE, Lsn.parse("0/500000"), SIZE)).contains(
                new WalReceiver.HistoricStretch(2, SegmentFileName.of(2, 8, SIZE)));
        assertThat(WalReceiver.historicStretch(THREE, Lsn.parse("0/7FFFFF"), SIZE)).contains(
                new WalReceiver.HistoricStretch(2, SegmentFileName.of(2, 8, SIZE)));
    }
}
