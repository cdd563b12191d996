package io.walstash.core.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.Locale;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {
    private static final WalSegmentSize SIXTY_FOUR_MIB = WalSegmentSize.ofMebibytes(64);

    @Test
    void parsesAndPrintsAsPostgres() {
        assertThat(Lsn.parse("0/3000028").value()).isEqualTo(0x3000028L);
        assertThat(Lsn.parse("16/B374D848").value()).isEqualTo(0x16_B374_D848L);
        assertThat(Lsn.of(0x16_B374_D848L)).hasToString("16/B374D848");
        assertThat(Lsn.of(0x3000028L)).hasToString("0/3000028");
        assertThat(Lsn.INVALID).hasToString("0/0");
        assertThat(Lsn.parse("FFFFFFFF/FFFFFFFF").value()).isEqualTo(-1L);
        assertThat(Lsn.of(-1L)).hasToString("FFFFFFFF/FFFFFFFF");
    }

    @Test
    void acceptsLowerCaseAndLeadingZerosAsPgLsnDoes() {
        assertThat(Lsn.parse("16/b374d848")).isEqualTo(Lsn.parse("16/B374D848"));
        assertThat(Lsn.parse("00000016/0B374D84")).hasToString("16/B374D84");
    }

    @ParameterizedTest
    @ValueSource(strings = {"zz/1", "", "/", "1/", "/1", "0", "123456789/0", "0/123456789", " 0/1", "0/1 ",
        "0x1/0", "+1/0", "-1/0", "1/2/3", "1//2", "\uFF11/0", "0/1\n"})
    void rejectsMalformedTextQuotingIt(String text) {
        assertThatThrownBy(() -> Lsn.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed LSN '" + text + "': ");
    }

    @Test
    void arithmeticFailsInsteadOfWrapping() {
        assertThatThrownBy(() -> Lsn.of(-1L).plus(1))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("FFFFFFFF/FFFFFFFF");
        assertThatThrownBy(() -> Lsn.of(5).plus(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lsn.of(5).minus(Lsn.of(6)))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("0/6 is after 0/5");
        assertThatThrownBy(() -> Lsn.of(-1L).minus(Lsn.INVALID)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Lsn.of(-1L).minus(Lsn.of(1L)))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("does not fit");
        assertThat(Lsn.of(Long.MAX_VALUE).minus(Lsn.INVALID)).isEqualTo(Long.MAX_VALUE);
        assertThat(Lsn.of(-1L).minus(Lsn.of(Long.MIN_VALUE))).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void ordersUnsigned() {
        assertThat(Lsn.parse("FFFFFFFF/0")).isGreaterThan(Lsn.parse("7FFFFFFF/0"));
        assertThat(Lsn.parse("80000000/0")).isGreaterThan(Lsn.parse("7FFFFFFF/FFFFFFFF"));
        assertThat(Lsn.parse("1/0")).isGreaterThan(Lsn.parse("0/FFFFFFFF"));
    }

    @Test
    void segmentAndOffsetMatchPostgres() {
        // pg_walfile_name_offset('0/3000028') on a default cluster: 000000010000000000000003, 40
        assertThat(Lsn.parse("0/3000028").segmentNumber(WalSegmentSize.DEFAULT)).isEqualTo(3);
        assertThat(Lsn.parse("0/3000028").offsetInSegment(WalSegmentSize.DEFAULT)).isEqualTo(0x28);
        // a PostgreSQL 15 cluster with --wal-segsize=64 reported 0/C000108 in 000000020000000000000003
        assertThat(Lsn.parse("0/C000108").segmentNumber(SIXTY_FOUR_MIB)).isEqualTo(3);
        assertThat(Lsn.parse("0/C000108").offsetInSegment(SIXTY_FOUR_MIB)).isEqualTo(0x108);
        assertThat(Lsn.of(-1L).segmentNumber(WalSegmentSize.DEFAULT)).isEqualTo((1L << 40) - 1);
    }

    @Property
    void printsAsPostgresAndParsesBack(@ForAll long value) {
        Lsn lsn = Lsn.of(value);
        String text = lsn.toString();
        assertThat(text).isEqualTo(String.format("%X/%X", value >>> 32, value & 0xFFFF_FFFFL));
        assertThat(Lsn.parse(text)).isEqualTo(lsn);
        assertThat(Lsn.parse(text.toLowerCase(Locale.ROOT))).isEqualTo(lsn);
    }

    @Property
    void plusAddsUnlessTheSumPassesSixtyFourBits(@ForAll("lsns") Lsn lsn, @ForAll long bytes) {
        if (bytes < 0) {
            assertThatThrownBy(() -> lsn.plus(bytes)).isInstanceOf(IllegalArgumentException.class);
            return;
        }
        BigInteger sum = unsigned(lsn.value()).add(BigInteger.valueOf(bytes));
        if (sum.bitLength() > 64) {
            assertThatThrownBy(() -> lsn.plus(bytes)).isInstanceOf(ArithmeticException.class);
        } else {
            Lsn later = lsn.plus(bytes);
            assertThat(unsigned(later.value())).isEqualTo(sum);
            assertThat(later).isGreaterThanOrEqualTo(lsn);
            assertThat(later.minus(lsn)).isEqualTo(bytes);
        }
    }

    @Property
    void minusIsTheDistanceWhenItFits(@ForAll("lsns") Lsn a, @ForAll("lsns") Lsn b) {
        BigInteger distance = unsigned(a.value()).subtract(unsigned(b.value()));
        if (distance.signum() < 0 || distance.bitLength() > 63) {
            assertThatThrownBy(() -> a.minus(b)).isInstanceOf(ArithmeticException.class);
        } else {
            assertThat(a.minus(b)).isEqualTo(distance.longValueExact());
            assertThat(b.plus(a.minus(b))).isEqualTo(a);
        }
    }

    @Property
    void ordersAsUnsignedNumbers(@ForAll("lsns") Lsn a, @ForAll("lsns") Lsn b) {
        assertThat(Integer.signum(a.compareTo(b))).isEqualTo(unsigned(a.value()).compareTo(unsigned(b.value())));
        assertThat(a.compareTo(b) == 0).isEqualTo(a.equals(b));
    }

    @Property
    void segmentNumberAndOffsetRecomposeTheLsn(@ForAll("lsns") Lsn lsn, @ForAll("sizes") WalSegmentSize size) {
        long segment = lsn.segmentNumber(size);
        long offset = lsn.offsetInSegment(size);
        assertThat(offset).isBetween(0L, size.bytes() - 1L);
        assertThat(segment).isBetween(0L, size.maxSegmentNumber());
        assertThat(BigInteger.valueOf(segment).multiply(BigInteger.valueOf(size.bytes())).add(BigInteger.valueOf(offset)))
                .isEqualTo(unsigned(lsn.value()));
    }

    @Provide
    Arbitrary<Lsn> lsns() {
        return WalTestArbitraries.lsns();
    }

    @Provide
    Arbitrary<WalSegmentSize> sizes() {
        return WalTestArbitraries.sizes();
    }

    private static BigInteger unsigned(long value) {
        return new BigInteger(Long.toUnsignedString(value));
    }
}
