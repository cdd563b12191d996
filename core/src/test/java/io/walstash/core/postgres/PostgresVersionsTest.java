package io.walstash.core.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PostgresVersionsTest {
    @ParameterizedTest
    @CsvSource({"90624, 9", "100023, 10", "120022, 12", "130016, 13", "150018, 15", "170002, 17", "170012, 17", "180001, 18"})
    void majorOfAServerVersionNum(int serverVersionNum, int major) {
        assertThat(PostgresVersions.major(serverVersionNum)).isEqualTo(major);
    }

    @ParameterizedTest
    @ValueSource(ints = {13, 14, 15, 16, 17})
    void thirteenToSeventeenAreSupported(int major) {
        assertThat(PostgresVersions.requireSupported(major)).isEqualTo(major);
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 11, 12})
    void olderVersionsAreRefusedNamingTheRange(int major) {
        assertThatThrownBy(() -> PostgresVersions.requireSupported(major))
                .isInstanceOf(PostgresVersions.UnsupportedVersionException.class)
                .hasMessage("PostgreSQL " + major + " is not supported: walstash supports PostgreSQL 13 to 17");
    }

    @ParameterizedTest
    @ValueSource(ints = {18, 19})
    void newerVersionsAreRefusedSayingWhy(int major) {
        assertThatThrownBy(() -> PostgresVersions.requireSupported(major))
                .isInstanceOf(PostgresVersions.UnsupportedVersionException.class)
                .hasMessageStartingWith("PostgreSQL " + major + " is not supported: walstash supports PostgreSQL 13 to 17 (")
                .hasMessageNotContaining("\n");
    }
}
