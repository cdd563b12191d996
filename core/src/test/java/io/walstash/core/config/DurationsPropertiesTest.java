package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

class DurationsPropertiesTest {

    @Example
    void operatorForms() {
        assertThat(Durations.parse("26h")).isEqualTo(Duration.ofHours(26));
        assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse(" 1H30m ")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.format(Duration.ofHours(26))).isEqualTo("1d2h");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.approximate(Duration.ofSeconds(3 * 3600 + 5 * 60 + 7))).isEqualTo("3h5m");
        assertThat(Durations.approximate(Duration.ofSeconds(86_400 + 7))).isEqualTo("1d");
        assertThat(Durations.approximate(Duration.ofSeconds(42))).isEqualTo("42s");
    }

    /** Whatever format writes, parse reads back as the same duration. */
    @Property
    void formatThenParseIsIdentity(@ForAll @LongRange(min = 0, max = 400L * 365 * 86_400_000L) long millis) {
        Duration d = Duration.ofMillis(millis);
        assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
    }

    /** Parts in any combination add up; order and case do not matter. */
    @Property
    void partsAddUp(@ForAll("parts") List<Long> amounts, @ForAll("units") List<String> units) {
        StringBuilder text = new StringBuilder();
        Duration expected = Duration.ZERO;
        for (int i = 0; i < Math.min(amounts.size(), units.size()); i++) {
            long n = amounts.get(i);
            String unit = units.get(i);
            text.append(n).append(i % 2 == 0 ? unit : unit.toUpperCase());
            expected = expected.plus(switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> Duration.ofDays(7 * n);
            });
        }
        if (text.length() > 0) {
            assertThat(Durations.parse(text.toString())).isEqualTo(expected);
        }
    }

    /** Anything that is not number+unit pairs is refused with a message that names it. */
    @Property
    void malformedIsRefused(@ForAll("malformed") String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed duration '" + text + "'");
    }

    @Provide
    Arbitrary<List<Long>> parts() {
        return Arbitraries.longs().between(0, 100_000).list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<List<String>> units() {
        return Arbitraries.of("ms", "s", "m", "h", "d", "w").list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<String> malformed() {
        Arbitrary<String> bareNumbers = Arbitraries.longs().between(0, 1_000_000).map(n -> Long.toString(n));
        Arbitrary<String> badUnits = net.jqwik.api.Combinators.combine(Arbitraries.longs().between(0, 1000),
                Arbitraries.of("x", "y", "mm", "sec", "hours", " h", "")).as((n, unit) -> n + unit);
        Arbitrary<String> junk = Arbitraries.strings().withChars("abcxyz-+. ").ofMinLength(0).ofMaxLength(6)
                .filter(s -> !s.strip().matches("(\\d+(ms|[smhdw]))+"));
        return Arbitraries.oneOf(bareNumbers, badUnits, junk, Arbitraries.of("-5m", "1.5h", "h", "5m-", "5m 3s"));
    }
}
