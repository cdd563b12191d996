package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Both ways progress reaches stderr, driven by a hand-moved clock (no sleeps). */
class ProgressLineTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MIB = 1L << 20;

    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final StringWriter written = new StringWriter();

    private ProgressLine progress(boolean terminal) {
        return new ProgressLine(new PrintWriter(written), terminal, Duration.ofSeconds(15), now::get);
    }

    @Test
    void notOnATerminalAWholeLineEveryIntervalAndNoneBetween() {
        ProgressLine progress = progress(false);
        progress.begin("backup base_000000010000000000000004", 10, 100 * MIB);
        now.addAndGet(14 * SECOND);
        progress.advance(1, 10 * MIB);
        assertThat(written.toString()).as("nothing before the interval").isEmpty();

        now.addAndGet(SECOND); // 15 s after the start
        progress.advance(2, 20 * MIB);
        assertThat(written.toString()).isEqualTo("walstash: backup base_000000010000000000000004: 3/10 files,"
                + " 30.0/100.0 MiB (30%), 2.0 MiB/s, ETA 35 s\n");

        now.addAndGet(10 * SECOND);
        progress.advance(1, 10 * MIB);
        assertThat(written.toString().lines()).as("10 s later: not yet the next line").hasSize(1);

        now.addAndGet(5 * SECOND); // 30 s after the start
        progress.advance(1, 20 * MIB);
        progress.end();
        assertThat(written.toString().lines()).containsExactly(
                "walstash: backup base_000000010000000000000004: 3/10 files, 30.0/100.0 MiB (30%), 2.0 MiB/s, ETA 35 s",
                "walstash: backup base_000000010000000000000004: 5/10 files, 60.0/100.0 MiB (60%), 2.0 MiB/s, ETA 20 s");
        assertThat(written.toString()).doesNotContain("\r");
    }

    @Test
    void onATerminalOneLineRedrawnInPlaceRateLimitedThenANewline() {
        ProgressLine progress = progress(true);
        progress.begin("restore base_1", 4, 4 * MIB);
        now.addAndGet(100_000_000L); // 0.1 s: under the redraw limit
        progress.advance(1, MIB);
        assertThat(written.toString()).isEmpty();

        now.addAndGet(900_000_000L); // 1 s after the start
        progress.advance(1, MIB);
        now.addAndGet(100_000_000L); // 0.1 s later: not redrawn
        progress.advance(1, MIB);
        now.addAndGet(SECOND);
        progress.advance(1, MIB);
        progress.end();

        String out = written.toString();
        assertThat(out).startsWith("\r").endsWith("\n");
        assertThat(out.chars().filter(c -> c == '\r')).hasSize(2);
        assertThat(out.chars().filter(c -> c == '\n')).hasSize(1);
        String[] draws = out.substring(1, out.length() - 1).split("\r");
        assertThat(draws[0].stripTrailing()).isEqualTo("walstash: restore base_1: 2/4 files, 2.0/4.0 MiB (50%), 2.0 MiB/s, ETA 1 s");
        assertThat(draws[1].stripTrailing()).isEqualTo("walstash: restore base_1: 4/4 files, 4.0/4.0 MiB (100%), 1.9 MiB/s, ETA 0 s");
        assertThat(draws[0]).as("padded so a shorter line clears a longer one").hasSizeGreaterThanOrEqualTo(100);
    }

    @Test
    void unknownTotalsShowCountsAndRateOnly() {
        ProgressLine progress = progress(false);
        progress.begin("delete retain 2", -1, -1);
        now.addAndGet(20 * SECOND);
        progress.advance(40, 40 * MIB);
        assertThat(written.toString()).isEqualTo("walstash: delete retain 2: 40 files, 40.0 MiB, 2.0 MiB/s\n");
    }

    @Test
    void aTerminalThatNeverDrewGetsNoStrayNewline() {
        ProgressLine progress = progress(true);
        progress.begin("verify base_1", 1, 10);
        progress.advance(1, 10);
        progress.end();
        assertThat(written.toString()).isEmpty();
    }
}
