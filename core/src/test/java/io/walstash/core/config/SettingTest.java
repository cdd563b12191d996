package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.spool.Spool;
import io.walstash.core.storage.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingTest {
    private static final Setting<Long> S = Setting.of("test", "S", SettingType.size(0, Long.MAX_VALUE)).defaults(7L);
    private static final Setting<Duration> D = Setting.of("test", "D", SettingType.duration(Duration.ZERO,
            Duration.ofMillis(Long.MAX_VALUE))).defaults(Duration.ZERO);

    private static Settings of(String name, String value) {
        return Settings.of(Map.of(name, value));
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertThat(S.get(of("S", "512MiB"))).isEqualTo(512L << 20);
        assertThat(S.get(of("S", "1GiB"))).isEqualTo(1L << 30);
        assertThat(S.get(of("S", "10g"))).isEqualTo(10L << 30);
        assertThat(S.get(of("S", "4096"))).isEqualTo(4096);
        assertThat(S.get(Settings.empty())).isEqualTo(7);
        assertThatThrownBy(() -> S.get(of("S", "lots")))
                .hasMessage("S must be a size such as 1073741824, 512MiB or 1GiB, not lots");
    }

    @Test
    void durationsDefaultToSeconds() {
        assertThat(D.get(of("D", "120"))).isEqualTo(Duration.ofSeconds(120));
        assertThat(D.get(of("D", "500ms"))).isEqualTo(Duration.ofMillis(500));
        assertThat(D.get(of("D", "2m"))).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> D.get(of("D", "-1"))).hasMessageContaining("D must be a duration");
    }

    @Test
    void pushSettingsAreReadWithDefaults() {
        RetryPolicy retry = RetryPolicy.from(Settings.of(Map.of("WALSTASH_RETRIES", "5", "WALSTASH_REQUEST_TIMEOUT", "30s")));
        assertThat(retry.retries()).isEqualTo(5);
        assertThat(retry.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetryPolicy.from(Settings.empty())).isEqualTo(new RetryPolicy(3, Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofSeconds(120)));
        assertThat(Spool.from(Settings.empty())).isEmpty();
        Spool spool = Spool.from(Settings.of(Map.of("WALSTASH_SPOOL", "/var/spool/walstash"))).orElseThrow();
        assertThat(spool.directory()).isEqualTo(Path.of("/var/spool/walstash"));
        assertThat(spool.maxBytes()).isEqualTo(1L << 30);
        assertThatThrownBy(() -> RetryPolicy.from(of("WALSTASH_REQUEST_TIMEOUT", "0"))).hasMessageContaining("positive");
    }
}
