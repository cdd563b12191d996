package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.spool.Spool;
import io.walstash.core.storage.RetryPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingValuesTest {
    private static Settings of(String name, String value) {
        return Settings.of(Map.of(name, value));
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertThat(SettingValues.bytes(of("S", "512MiB"), "S", 0)).isEqualTo(512L << 20);
        assertThat(SettingValues.bytes(of("S", "1GiB"), "S", 0)).isEqualTo(1L << 30);
        assertThat(SettingValues.bytes(of("S", "10g"), "S", 0)).isEqualTo(10L << 30);
        assertThat(SettingValues.bytes(of("S", "4096"), "S", 0)).isEqualTo(4096);
        assertThat(SettingValues.bytes(Settings.empty(), "S", 7)).isEqualTo(7);
        assertThatThrownBy(() -> SettingValues.bytes(of("S", "lots"), "S", 0))
                .hasMessage("S must be a size such as 1073741824, 512MiB or 1GiB, not lots");
    }

    @Test
    void durationsDefaultToSeconds() {
        assertThat(SettingValues.duration(of("D", "120"), "D", Duration.ZERO)).isEqualTo(Duration.ofSeconds(120));
        assertThat(SettingValues.duration(of("D", "500ms"), "D", Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
        assertThat(SettingValues.duration(of("D", "2m"), "D", Duration.ZERO)).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> SettingValues.duration(of("D", "-1"), "D", Duration.ZERO)).hasMessageContaining("D must be a duration");
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
