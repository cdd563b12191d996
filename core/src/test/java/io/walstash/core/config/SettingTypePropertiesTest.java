package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** The one parser per type: sizes, durations and counts for any value, and the messages of refusals. */
class SettingTypePropertiesTest {
    private static final SettingType<Long> ANY_SIZE = SettingType.size(0, Long.MAX_VALUE);
    private static final SettingType<Duration> ANY_DURATION = SettingType.duration(Duration.ZERO, Duration.ofMillis(Long.MAX_VALUE));

    @Provide
    Arbitrary<String> units() {
        return Arbitraries.of("", "K", "k", "KiB", "kib", "KB", "M", "m", "MiB", "MB", "mb", "G", "GiB", "gb", "T", "TiB", "B");
    }

    @Property
    void sizesAreTheNumberTimesTheBinaryUnit(@ForAll @LongRange(min = 0, max = 1L << 20) long n, @ForAll("units") String unit,
                                              @ForAll boolean space) {
        int shift = switch (unit.isEmpty() ? ' ' : Character.toUpperCase(unit.charAt(0))) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        assertThat(ANY_SIZE.parse(n + (space ? " " : "") + unit)).isEqualTo(n << shift);
    }

    @Property
    void aFormattedSizeReadsBack(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long bytes) {
        assertThat(ANY_SIZE.parse(ANY_SIZE.format(bytes))).isEqualTo(bytes);
    }

    @Property
    void sizesOutsideTheRangeAreRefusedNamingIt(@ForAll @LongRange(min = 0, max = 1L << 40) long bytes) {
        Setting<Long> part = Setting.of("test", "PART", SettingType.size(5L << 20, 1L << 30));
        Settings.Given given = new Settings.Given("PART_ALIAS", Long.toString(bytes));
        if (bytes < 5L << 20 || bytes > 1L << 30) {
            assertThatThrownBy(() -> part.parse(given)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("PART_ALIAS must be a size such as 1073741824, 512MiB or 1GiB, from 5MiB to 1GiB, not " + bytes);
        } else {
            assertThat(part.parse(given)).isEqualTo(bytes);
        }
    }

    @Property
    void aBareNumberIsSeconds(@ForAll @LongRange(min = 0, max = 999_999_999_999L) long seconds) {
        assertThat(ANY_DURATION.parse(Long.toString(seconds))).isEqualTo(Duration.ofSeconds(seconds));
    }

    @Property
    void aFormattedDurationReadsBack(@ForAll @LongRange(min = 0, max = 1L << 45) long millis) {
        Duration duration = Duration.ofMillis(millis);
        assertThat(ANY_DURATION.parse(ANY_DURATION.format(duration))).isEqualTo(duration);
        assertThat(ANY_DURATION.parse("PT" + millis / 1000 + "." + String.format("%03d", millis % 1000) + "S")).isEqualTo(duration);
    }

    @Property
    void everyUnitReadsAsItsMultiple(@ForAll @IntRange(min = 0, max = 100_000) int n) {
        Map<String, Duration> units = Map.of("ms", Duration.ofMillis(n), "s", Duration.ofSeconds(n), "m", Duration.ofMinutes(n),
                "min", Duration.ofMinutes(n), "h", Duration.ofHours(n), "d", Duration.ofDays(n), "w", Duration.ofDays(7L * n));
        units.forEach((unit, expected) -> assertThat(ANY_DURATION.parse(n + unit)).isEqualTo(expected));
    }

    @Property
    void countsInRangeAreThemselvesAndOthersAreRefused(@ForAll int n) {
        Setting<Integer> buffers = Setting.of("test", "BUFFERS", SettingType.count(1, 64));
        Settings.Given given = new Settings.Given("BUFFERS", Integer.toString(n));
        if (n >= 1 && n <= 64) {
            assertThat(buffers.parse(given)).isEqualTo(n);
        } else {
            assertThatThrownBy(() -> buffers.parse(given)).hasMessage("BUFFERS must be a whole number from 1 to 64, not " + n);
        }
    }

    @Property
    void wordsAreNeitherCountsSizesNorDurations(@ForAll("words") String word) {
        for (SettingType<?> type : List.of(SettingType.count(0, Integer.MAX_VALUE), ANY_SIZE, ANY_DURATION)) {
            assertThatThrownBy(() -> type.parse(word)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Provide
    Arbitrary<String> words() {
        return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12).filter(w -> !w.equalsIgnoreCase("b"));
    }

    @Example
    void formsNameTheRange() {
        assertThat(SettingType.count(0, Integer.MAX_VALUE).forms()).isEqualTo("a non-negative number");
        assertThat(SettingType.count(1, Integer.MAX_VALUE).forms()).isEqualTo("a positive number");
        assertThat(SettingType.duration(Duration.ofMillis(1), Duration.ofMillis(Long.MAX_VALUE)).forms())
                .isEqualTo("a positive duration such as 120 (seconds), 500ms, 30s or 2m");
        assertThat(SettingType.duration(Duration.ofSeconds(1), Duration.ofHours(24)).forms())
                .isEqualTo("a duration such as 120 (seconds), 500ms, 30s or 2m, from 1s to 1d");
        assertThat(SettingType.choice("LATEST", "LATEST_FULL").forms()).isEqualTo("LATEST or LATEST_FULL");
    }

    @Example
    void choicesBooleansAndUrls() {
        assertThat(SettingType.choice("LATEST", "LATEST_FULL").parse("latest_full")).isEqualTo("LATEST_FULL");
        assertThat(SettingType.bool().parse("Yes")).isTrue();
        assertThat(SettingType.bool().parse("off")).isFalse();
        assertThat(SettingType.url().parse("http://minio:9000")).isEqualTo(URI.create("http://minio:9000"));
        Setting<URI> endpoint = Setting.of("test", "ENDPOINT", SettingType.url());
        assertThatThrownBy(() -> endpoint.parse(new Settings.Given("ENDPOINT", "ftp://x?sig=secret")))
                .hasMessage("ENDPOINT must be an http:// or https:// URL such as https://host:9000");
        assertThatThrownBy(() -> endpoint.parse(new Settings.Given("ENDPOINT", "http://user:pw@host")))
                .hasMessage("ENDPOINT must not carry credentials; set them in their own settings");
    }

    @Example
    void secretsAreNeverQuoted() {
        Setting<Integer> secret = Setting.of("test", "SECRET_COUNT", SettingType.count(0, 9)).asSecret();
        assertThatThrownBy(() -> secret.parse(new Settings.Given("SECRET_COUNT", "hunter2"))).hasMessage("SECRET_COUNT must be a whole number from 0 to 9");
    }
}
