package io.walstash.core.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class SegmentFileNameTest {
    private static final WalSegmentSize SIXTEEN_MIB = WalSegmentSize.DEFAULT;
    private static final WalSegmentSize SIXTY_FOUR_MIB = WalSegmentSize.ofMebibytes(64);
    private static final WalSegmentSize ONE_GIB = WalSegmentSize.ofMebibytes(1024);

    @Test
    void parsesTheThreeFields() {
        SegmentFileName name = SegmentFileName.parse("0000000200000016000000B3");
        assertThat(name).isEqualTo(new SegmentFileName(2, 0x16, 0xB3));
        assertThat(name.timeline()).isEqualTo(2);
        assertThat(name.fileName()).isEqualTo("0000000200000016000000B3");
        assertThat(name).hasToString("0000000200000016000000B3");
        assertThat(SegmentFileName.parse("FFFFFFFFFFFFFFFFFFFFFFFF"))
                .isEqualTo(new SegmentFileName(0xFFFF_FFFFL, 0xFFFF_FFFFL, 0xFFFF_FFFFL));
    }

    @Test
    void nextCrossesIntoTheNextLogAfterTheLastSegmentOfTheSize() {
        assertThat(SegmentFileName.parse("0000000100000000000000FE").next(SIXTEEN_MIB))
                .hasToString("0000000100000000000000FF");
        assertThat(SegmentFileName.parse("0000000100000000000000FF").next(SIXTEEN_MIB))
                .hasToString("000000010000000100000000");
        assertThat(SegmentFileName.parse("00000001000000000000003F").next(SIXTY_FOUR_MIB))
                .hasToString("000000010000000100000000");
        assertThat(SegmentFileName.parse("000000010000000000000003").next(ONE_GIB))
                .hasToString("000000010000000100000000");
        assertThat(SegmentFileName.parse("000000010000000100000000").previous(SIXTEEN_MIB))
                .hasToString("0000000100000000000000FF");
        assertThat(SegmentFileName.parse("000000010000000100000000").previous(SIXTY_FOUR_MIB))
                .hasToString("00000001000000000000003F");
    }

    @Test
    void segmentsBeyondTheLastOfTheSizeDoNotExist() {
        SegmentFileName name = SegmentFileName.parse("000000010000000000000040");
        assertThat(name.segmentNumber(SIXTEEN_MIB)).isEqualTo(0x40);
        assertThatThrownBy(() -> name.segmentNumber(SIXTY_FOUR_MIB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("000000010000000000000040 does not exist with 64 MiB segments")
                .hasMessageContaining("0000003F");
        assertThatThrownBy(() -> name.next(SIXTY_FOUR_MIB)).hasMessageContaining("does not exist with 64 MiB");
        assertThatThrownBy(() -> name.startLsn(SIXTY_FOUR_MIB)).hasMessageContaining("does not exist with 64 MiB");
    }

    @Test
    void theEndsOfTheAddressSpaceHaveNoNeighbour() {
        assertThatThrownBy(() -> SegmentFileName.parse("000000010000000000000000").previous(SIXTEEN_MIB))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("000000010000000000000000");
        SegmentFileName last = SegmentFileName.parse("00000001FFFFFFFF000000FF");
        assertThat(last.segmentNumber(SIXTEEN_MIB)).isEqualTo(SIXTEEN_MIB.maxSegmentNumber());
        assertThatThrownBy(() -> last.next(SIXTEEN_MIB))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("00000001FFFFFFFF000000FF");
        assertThat(last.startLsn(SIXTEEN_MIB)).hasToString("FFFFFFFF/FF000000");
    }

    @Test
    void mapsLsnsAsPostgresDoes() {
        // pg_walfile_name('0/C000108') on timeline 2 of a PostgreSQL 15 cluster with 64 MiB segments
        assertThat(SegmentFileName.containing(2, Lsn.parse("0/C000108"), SIXTY_FOUR_MIB))
                .hasToString("000000020000000000000003");
        assertThat(SegmentFileName.containing(1, Lsn.parse("16/B374D848"), SIXTEEN_MIB))
                .hasToString("0000000100000016000000B3");
        assertThat(SegmentFileName.parse("0000000100000016000000B3").startLsn(SIXTEEN_MIB))
                .hasToString("16/B3000000");
        assertThat(SegmentFileName.of(1, 0x16B3, SIXTEEN_MIB)).hasToString("0000000100000016000000B3");
        assertThat(SegmentFileName.of(1, 0x16B3, SIXTY_FOUR_MIB)).hasToString("000000010000005A00000033");
    }

    @Test
    void rejectsOutOfRangeFields() {
        assertThatThrownBy(() -> new SegmentFileName(0, 0, 1)).hasMessageContaining("timeline 0");
        assertThatThrownBy(() -> new SegmentFileName(1L << 32, 0, 1)).hasMessageContaining("timeline 4294967296");
        assertThatThrownBy(() -> new SegmentFileName(1, -1, 1)).hasMessageContaining("log -1");
        assertThatThrownBy(() -> new SegmentFileName(1, 0, 1L << 32)).hasMessageContaining("segment 4294967296");
        assertThatThrownBy(() -> SegmentFileName.of(1, -1, SIXTEEN_MIB)).hasMessageContaining("segment number -1");
        assertThatThrownBy(() -> SegmentFileName.of(1, 1L << 40, SIXTEEN_MIB))
                .hasMessageContaining("segment number " + (1L << 40));
    }

    @Test
    void movesToAnotherTimelineKeepingThePosition() {
        SegmentFileName name = SegmentFileName.parse("000000010000000000000003");
        assertThat(name.onTimeline(2)).hasToString("000000020000000000000003");
        assertThat(name.partial()).hasToString("000000010000000000000003.partial");
    }

    @Property
    void namesOfFieldsRoundTrip(@ForAll("timelines") long timeline, @ForAll("uint32") long log, @ForAll("uint32") long segment) {
        SegmentFileName name = new SegmentFileName(timeline, log, segment);
        String text = name.fileName();
        assertThat(text).isEqualTo(String.format("%08X%08X%08X", timeline, log, segment));
        assertThat(SegmentFileName.parse(text)).isEqualTo(name);
        assertThat(WalFileName.parse(text)).isEqualTo(name);
    }

    @Property
    void segmentNumbersRoundTripForEverySize(@ForAll("sizes") WalSegmentSize size, @ForAll("timelines") long timeline,
            @ForAll("uint32") long log, @ForAll("uint32") long anySegment) {
        long perLog = size.segmentsPerXLogId();
        long number = log * perLog + anySegment % perLog;
        SegmentFileName name = SegmentFileName.of(timeline, number, size);
        assertThat(name.fileName()).isEqualTo(String.format("%08X%08X%08X", timeline, log, anySegment % perLog));
        assertThat(name.segmentNumber(size)).isEqualTo(number);
        assertThat(SegmentFileName.parse(name.fileName())).isEqualTo(name);
    }

    @Property
    void nextAndPreviousAreInverse(@ForAll("sizedSegments") Sized sized) {
        WalSegmentSize size = sized.size();
        SegmentFileName name = sized.name();
        long number = name.segmentNumber(size);
        if (number < size.maxSegmentNumber()) {
            SegmentFileName next = name.next(size);
            assertThat(next.segmentNumber(size)).isEqualTo(number + 1);
            assertThat(next.previous(size)).isEqualTo(name);
            assertThat(next).isGreaterThan(name);
            assertThat(next.fileName()).isGreaterThan(name.fileName());
            assertThat(next.timeline()).isEqualTo(name.timeline());
            // the next segment starts where this one ends
            assertThat(next.startLsn(size).minus(name.startLsn(size))).isEqualTo(size.bytes());
        }
        if (number > 0) {
            SegmentFileName previous = name.previous(size);
            assertThat(previous.segmentNumber(size)).isEqualTo(number - 1);
            assertThat(previous.next(size)).isEqualTo(name);
        }
    }

    @Property
    void orderOfNamesIsOrderOfTimelineThenSegmentNumber(@ForAll("sizes") WalSegmentSize size,
            @ForAll("timelines") long timelineA, @ForAll("segmentNumbers") long a,
            @ForAll("timelines") long timelineB, @ForAll("segmentNumbers") long b) {
        long numberA = Long.remainderUnsigned(a, size.maxSegmentNumber() + 1);
        long numberB = Long.remainderUnsigned(b, size.maxSegmentNumber() + 1);
        SegmentFileName nameA = SegmentFileName.of(timelineA, numberA, size);
        SegmentFileName nameB = SegmentFileName.of(timelineB, numberB, size);
        int expected = timelineA != timelineB ? Long.compare(timelineA, timelineB) : Long.compare(numberA, numberB);
        assertThat(Integer.signum(nameA.compareTo(nameB))).isEqualTo(Integer.signum(expected));
        assertThat(Integer.signum(nameA.fileName().compareTo(nameB.fileName()))).isEqualTo(Integer.signum(expected));
    }

    @Property
    void lsnSegmentNumberAgreesWithContainingAndStartLsn(@ForAll("sizes") WalSegmentSize size,
            @ForAll("timelines") long timeline, @ForAll("lsns") Lsn lsn) {
        SegmentFileName name = SegmentFileName.containing(timeline, lsn, size);
        assertThat(name.timeline()).isEqualTo(timeline);
        assertThat(name.segmentNumber(size)).isEqualTo(lsn.segmentNumber(size));
        assertThat(name.startLsn(size)).isLessThanOrEqualTo(lsn);
        assertThat(lsn.minus(name.startLsn(size))).isEqualTo(lsn.offsetInSegment(size));
        assertThat(name.contains(lsn, size)).isTrue();
        assertThat(SegmentFileName.containing(timeline, name.startLsn(size), size)).isEqualTo(name);
        if (lsn.segmentNumber(size) < size.maxSegmentNumber()) {
            assertThat(name.next(size).startLsn(size)).isGreaterThan(lsn);
            assertThat(name.next(size).contains(lsn, size)).isFalse();
        }
    }

    record Sized(WalSegmentSize size, SegmentFileName name) {
    }

    @Provide
    Arbitrary<Sized> sizedSegments() {
        return WalTestArbitraries.sizes().flatMap(size -> WalTestArbitraries.segments(size).map(name -> new Sized(size, name)));
    }

    @Provide
    Arbitrary<WalSegmentSize> sizes() {
        return WalTestArbitraries.sizes();
    }

    @Provide
    Arbitrary<Long> timelines() {
        return WalTestArbitraries.timelines();
    }

    @Provide
    Arbitrary<Long> uint32() {
        return Arbitraries.longs().between(0, 0xFFFF_FFFFL);
    }

    @Provide
    Arbitrary<Long> segmentNumbers() {
        // small numbers make equal and adjacent pairs likely; large ones cover every log
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 300), Arbitraries.longs().greaterOrEqual(0));
    }

    @Provide
    Arbitrary<Lsn> lsns() {
        return WalTestArbitraries.lsns();
    }
}
