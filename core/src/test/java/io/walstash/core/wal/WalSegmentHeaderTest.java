package io.walstash.core.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.OptionalInt;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WalSegmentHeaderTest {
    /**
     * The first 40 bytes of 000000020000000000000003 from a PostgreSQL 15 cluster (x86-64,
     * initdb --wal-segsize=64) just after a standby was promoted to timeline 2.
     */
    private static final String PG15_SEGMENT = "10d10600020000000000000c0000000000000000000000000b2263796023056b0000000400200000";
    /** The same cluster's 000000020000000000000004: a recycled segment still carrying its timeline 1 header. */
    private static final String PG15_RECYCLED = "10d1020001000000000000080000000000000000000000000b2263796023056b0000000400200000";

    @Test
    void readsARealSegmentHeader() {
        WalSegmentHeader header = WalSegmentHeader.read(HexFormat.of().parseHex(PG15_SEGMENT));
        assertThat(header.magic()).isEqualTo(0xD110);
        assertThat(header.postgresMajorVersion()).isEqualTo(OptionalInt.of(15));
        assertThat(header.info() & WalSegmentHeader.XLP_LONG_HEADER).isNotZero();
        assertThat(header.timeline()).isEqualTo(2);
        assertThat(header.pageAddress()).isEqualTo(Lsn.parse("0/C000000"));
        assertThat(header.systemIdentifierText()).isEqualTo("7711608834202214923");
        assertThat(header.walSegmentSize()).isEqualTo(WalSegmentSize.ofMebibytes(64));
        assertThat(header.blockSize()).isEqualTo(8192);
        assertThat(SegmentFileName.containing(header.timeline(), header.pageAddress(), header.walSegmentSize()))
                .hasToString("000000020000000000000003");
    }

    @Test
    void aRecycledSegmentKeepsItsOldHeader() {
        WalSegmentHeader header = WalSegmentHeader.read(HexFormat.of().parseHex(PG15_RECYCLED));
        assertThat(header.timeline()).isEqualTo(1);
        assertThat(header.pageAddress()).isEqualTo(Lsn.parse("0/8000000"));
        assertThat(header.systemIdentifier()).isEqualTo(7711608834202214923L);
    }

    @Test
    void knowsTheMagicOfEachSupportedVersion() {
        int[][] magicToVersion = {{0xD101, 12}, {0xD106, 13}, {0xD10D, 14}, {0xD110, 15}, {0xD113, 16}, {0xD116, 17}, {0xD118, 18}};
        for (int[] pair : magicToVersion) {
            WalSegmentHeader header = WalSegmentHeader.read(encode(pair[0], 2, 1, 0, 0, 0, 1L, 16 << 20, 8192));
            assertThat(header.postgresMajorVersion()).as("magic %04X", pair[0]).isEqualTo(OptionalInt.of(pair[1]));
        }
        assertThat(WalSegmentHeader.read(encode(0xD098, 2, 1, 0, 0, 0, 1L, 16 << 20, 8192)).postgresMajorVersion()).isEmpty();
        assertThat(WalSegmentHeader.read(encode(0x1234, 2, 1, 0, 0, 0, 1L, 16 << 20, 8192)).postgresMajorVersion()).isEmpty();
    }

    @Test
    void readsFromTheBufferPositionWithoutMovingIt() {
        byte[] segment = HexFormat.of().parseHex(PG15_SEGMENT);
        ByteBuffer buffer = ByteBuffer.allocate(100);
        buffer.position(7).put(segment).position(7);
        WalSegmentHeader header = WalSegmentHeader.read(buffer);
        assertThat(header).isEqualTo(WalSegmentHeader.read(segment));
        assertThat(buffer.position()).isEqualTo(7);
        assertThat(buffer.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    }

    @Test
    void rejectsWhatIsNotTheFirstPageOfASegment() {
        assertNotASegment(new byte[39], "39 bytes");
        assertNotASegment(new byte[0], "0 bytes");
        assertNotASegment(new byte[40], "long-header");
        // the second page of a segment: short header, XLP_FIRST_IS_CONTRECORD only
        assertNotASegment(encode(0xD110, 1, 1, 0x2000, 0, 0, 0, 0, 0), "flags 0x0001 lack the long-header bit");
        assertNotASegment(encode(0xD110, 2, 0, 0, 0, 0, 1L, 16 << 20, 8192), "timeline 0");
        assertNotASegment(encode(0xD110, 2, 1, 0, 0, 0, 1L, 3 << 20, 8192), "segment size 3145728");
        assertNotASegment(encode(0xD110, 2, 1, 0, 0, 0, 1L, 0x8000_0000, 8192), "segment size 2147483648");
        assertNotASegment(encode(0xD110, 2, 1, 0, 0, 0, 1L, 16 << 20, 3000), "WAL block size 3000");
        assertNotASegment(encode(0xD110, 2, 1, 0, 0, 0, 1L, 16 << 20, 128 << 10), "WAL block size 131072");
        assertNotASegment(encode(0xD110, 2, 1, 0, 0, 0, 1L, 16 << 20, 512), "WAL block size 512");
        assertNotASegment(encode(0xD110, 2, 1, 0x3000028, 0, 0, 1L, 16 << 20, 8192), "0/3000028 is not the start of a 16 MiB segment");
        assertNotASegment("PGDMP\u0001\u000e\u0000 custom-format dump, not WAL".getBytes(StandardCharsets.US_ASCII),
                "not a WAL segment");
    }

    @Test
    void acceptsEveryBlockSizePostgresCanBeBuiltWith() {
        for (int kib = 1; kib <= 64; kib *= 2) {
            assertThat(WalSegmentHeader.read(encode(0xD110, 2, 1, 0, 0, 0, 1L, 16 << 20, kib << 10)).blockSize())
                    .isEqualTo(kib << 10);
        }
    }

    @Property
    void readsWhatWasWritten(@ForAll("headers") WalSegmentHeader header, @ForAll int remLen, @ForAll int padding,
            @ForAll @IntRange(max = 64) int leading) {
        byte[] bytes = new byte[leading + WalSegmentHeader.LENGTH + 16];
        byte[] encoded = encode(header, remLen, padding);
        System.arraycopy(encoded, 0, bytes, leading, encoded.length);
        assertThat(WalSegmentHeader.read(encoded)).isEqualTo(header);
        assertThat(WalSegmentHeader.read(ByteBuffer.wrap(bytes, leading, bytes.length - leading))).isEqualTo(header);
    }

    @Property
    void rejectsAPageWithoutTheLongHeaderBit(@ForAll("headers") WalSegmentHeader header, @ForAll int remLen) {
        byte[] encoded = encode(header.magic(), header.info() & ~WalSegmentHeader.XLP_LONG_HEADER, (int) header.timeline(),
                header.pageAddress().value(), remLen, 0, header.systemIdentifier(), header.segmentSize(), header.blockSize());
        assertThatThrownBy(() -> WalSegmentHeader.read(encoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a WAL segment: ")
                .hasMessageContaining("long-header bit");
    }

    @Property
    void rejectsTruncatedHeaders(@ForAll("headers") WalSegmentHeader header, @ForAll @IntRange(max = 39) int length) {
        byte[] truncated = Arrays.copyOf(encode(header, 0, 0), length);
        assertThatThrownBy(() -> WalSegmentHeader.read(truncated))
                .hasMessage("not a WAL segment: " + length + " bytes, fewer than the 40 of its first page header");
    }

    @Provide
    Arbitrary<WalSegmentHeader> headers() {
        Arbitrary<Integer> magic = Arbitraries.oneOf(
                Arbitraries.of(0xD101, 0xD106, 0xD10D, 0xD110, 0xD113, 0xD116, 0xD118), Arbitraries.integers().between(0, 0xFFFF));
        Arbitrary<Integer> info = Arbitraries.integers().between(0, 0xFFFF).map(i -> i | WalSegmentHeader.XLP_LONG_HEADER);
        Arbitrary<Integer> blockSize = Arbitraries.integers().between(10, 16).map(shift -> 1 << shift);
        Arbitrary<Object[]> sizedAddress = WalTestArbitraries.sizes().flatMap(size -> WalTestArbitraries.lsns()
                .map(lsn -> SegmentFileName.containing(1, lsn, size).startLsn(size))
                .map(start -> new Object[] {size, start}));
        return Combinators.combine(magic, info, WalTestArbitraries.timelines(), sizedAddress, Arbitraries.longs(), blockSize)
                .as((m, i, tl, sa, sysid, bs) -> new WalSegmentHeader(
                        m, i, tl, (Lsn) sa[1], sysid, ((WalSegmentSize) sa[0]).bytes(), bs));
    }

    private static void assertNotASegment(byte[] bytes, String reason) {
        assertThatThrownBy(() -> WalSegmentHeader.read(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a WAL segment: ")
                .hasMessageContaining(reason);
    }

    private static byte[] encode(WalSegmentHeader h, int remLen, int padding) {
        return encode(h.magic(), h.info(), (int) h.timeline(), h.pageAddress().value(), remLen, padding,
                h.systemIdentifier(), h.segmentSize(), h.blockSize());
    }

    /** XLogLongPageHeaderData, little-endian, laid out field by field as in xlog_internal.h. */
    private static byte[] encode(int magic, int info, int timeline, long pageAddress, int remLen, int padding,
            long systemIdentifier, int segmentSize, int blockSize) {
        return ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) magic)
                .putShort((short) info)
                .putInt(timeline)
                .putLong(pageAddress)
                .putInt(remLen)
                .putInt(padding)
                .putLong(systemIdentifier)
                .putInt(segmentSize)
                .putInt(blockSize)
                .array();
    }
}
