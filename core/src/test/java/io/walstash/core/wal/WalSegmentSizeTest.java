package io.walstash.core.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WalSegmentSizeTest {

    @Test
    void defaultIsSixteenMebibytesWith256SegmentsPerLog() {
        assertThat(WalSegmentSize.DEFAULT.bytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(WalSegmentSize.DEFAULT.segmentsPerXLogId()).isEqualTo(256);
        assertThat(WalSegmentSize.DEFAULT).hasToString("16 MiB");
    }

    @Test
    void segmentsPerLogFollowTheSize() {
        assertThat(WalSegmentSize.ofMebibytes(1).segmentsPerXLogId()).isEqualTo(4096);
        assertThat(WalSegmentSize.ofMebibytes(64).segmentsPerXLogId()).isEqualTo(64);
        assertThat(WalSegmentSize.ofMebibytes(1024).segmentsPerXLogId()).isEqualTo(4);
    }

    @Test
    void maxSegmentNumberIsTheLastSegmentOfTheLastLog() {
        for (int shift = 20; shift <= 30; shift++) {
            WalSegmentSize size = new WalSegmentSize(1 << shift);
            assertThat(size.maxSegmentNumber())
                    .as("%s", size)
                    .isEqualTo(0xFFFF_FFFFL * size.segmentsPerXLogId() + size.segmentsPerXLogId() - 1);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, 1 << 19, (1 << 20) + 1, 3 << 20, 24L << 20, 1L << 31, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE})
    void rejectsSizesPostgresDoesNotAllowNamingTheValue(long bytes) {
        assertThatThrownBy(() -> WalSegmentSize.ofBytes(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid WAL segment size " + bytes + " bytes");
    }

    @Test
    void rejectsMebibyteCountsThatAreNotAllowed() {
        assertThatThrownBy(() -> WalSegmentSize.ofMebibytes(2048)).hasMessageContaining("2048 MiB");
        assertThatThrownBy(() -> WalSegmentSize.ofMebibytes(0)).hasMessageContaining("0 MiB");
        assertThatThrownBy(() -> WalSegmentSize.ofMebibytes(48)).hasMessageContaining(String.valueOf(48L << 20));
    }

    @Property
    void acceptsExactlyThePowersOfTwoFromOneMebibyteToOneGibibyte(@ForAll int bytes) {
        boolean valid = bytes >= (1 << 20) && bytes <= (1 << 30) && Integer.bitCount(bytes) == 1;
        if (valid) {
            assertThat(new WalSegmentSize(bytes).bytes()).isEqualTo(bytes);
            assertThat(WalSegmentSize.ofBytes(bytes)).isEqualTo(new WalSegmentSize(bytes));
        } else {
            assertThatThrownBy(() -> new WalSegmentSize(bytes))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(" " + bytes + " bytes");
        }
    }
}
