package io.walstash.core.wal;

import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators shared by the WAL property tests. */
final class WalTestArbitraries {
    static final List<WalSegmentSize> ALL_SIZES =
            IntStream.rangeClosed(20, 30).mapToObj(shift -> new WalSegmentSize(1 << shift)).toList();

    private WalTestArbitraries() {
    }

    static Arbitrary<WalSegmentSize> sizes() {
        return Arbitraries.of(ALL_SIZES);
    }

    /** Timelines 1..FFFFFFFF, often small ones as real clusters have. */
    static Arbitrary<Long> timelines() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(1, 0xFFFF_FFFFL),
                Arbitraries.longs().between(1, 20));
    }

    /** Any 64-bit LSN, with extra weight near segment and log boundaries. */
    static Arbitrary<Lsn> lsns() {
        Arbitrary<Long> nearBoundary = Combinators.combine(
                        Arbitraries.longs().between(0, 1L << 40),
                        Arbitraries.integers().between(20, 32),
                        Arbitraries.longs().between(-2, 2))
                .as((base, shift, delta) -> (base << shift) + delta);
        return Arbitraries.oneOf(Arbitraries.longs(), nearBoundary).map(Lsn::of);
    }

    /** A segment name that exists with {@code size}, often the first or last of its log. */
    static Arbitrary<SegmentFileName> segments(WalSegmentSize size) {
        long perLog = size.segmentsPerXLogId();
        Arbitrary<Long> segment = Arbitraries.oneOf(
                Arbitraries.longs().between(0, perLog - 1),
                Arbitraries.of(0L, perLog - 1));
        Arbitrary<Long> log = Arbitraries.oneOf(
                Arbitraries.longs().between(0, 0xFFFF_FFFFL),
                Arbitraries.longs().between(0, 3));
        return Combinators.combine(timelines(), log, segment).as(SegmentFileName::new);
    }
}
