package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class DurationsPropertiesTest {

    @Property
    void aNumberAndAUnitIsThatMany(@ForAll @IntRange(min = 0, max = 999_999_999) int n) {
        assertThat(Durations.parse(n + "s")).isEqualTo(Duration.ofSeconds(n));
        assertThat(Durations.parse(n + "m")).isEqualTo(Duration.ofMinutes(n));
        assertThat(Durations.parse(n + "h")).isEqualTo(Duration.ofHours(n));
        assertThat(Durations.parse(n + "d")).isEqualTo(Duration.ofDays(n));
        assertThat(Durations.parse(n + "D")).isEqualTo(Duration.ofDays(n));
        assertThat(Durations.parse(n + "w")).isEqualTo(Duration.ofDays(7L * n));
    }

    @Property
    void formatIsReadBack(@ForAll @LongRange(min = 0, max = 50L * 365 * 86400) long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        String text = Durations.format(d);
        assertThat(Durations.parse(text)).isEqualTo(d);
        assertThat(text).matches("(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?");
    }

    @Property
    void anythingElseIsRefusedWithTheText(@ForAll String text) {
        if (text.toLowerCase(java.util.Locale.ROOT).matches("(\\d{1,9}w)?(\\d{1,9}d)?(\\d{1,9}h)?(\\d{1,9}m)?(\\d{1,9}s)?")
                && !text.isEmpty()) {
            return;
        }
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed duration '" + text + "'");
    }

    @Example
    void examples() {
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("1d12h")).isEqualTo(Duration.ofHours(36));
        assertThat(Durations.format(Duration.ofHours(36))).isEqualTo("1d12h");
        assertThat(Durations.format(Duration.ofDays(14))).isEqualTo("14d");
        assertThat(Durations.parse("2w")).isEqualTo(Duration.ofDays(14));
        assertThatThrownBy(() -> Durations.parse("12h1d")).hasMessageContaining("largest down");
        assertThatThrownBy(() -> Durations.parse("7")).hasMessageContaining("7d, 12h, 30m");
        assertThatThrownBy(() -> Durations.parse(" 7d")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Durations.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Durations.parse("-1d")).isInstanceOf(IllegalArgumentException.class);
    }
}
