package io.walstash.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetentionPoliciesTest {
    @Test
    void retainReadsScopeCountAndWindow() {
        assertThat(RetentionPolicies.retain(List.of("full", "2"), Optional.of("7d"))).isEqualTo(new RetentionPolicies.Read(
                new RetentionPolicy.Retain(RetentionPolicy.Scope.FULL, 2, Duration.ofDays(7))));
        assertThat(RetentionPolicies.retain(List.of("5"), Optional.empty())).isEqualTo(new RetentionPolicies.Read(
                new RetentionPolicy.Retain(RetentionPolicy.Scope.ALL, 5, null)));
        assertThat(RetentionPolicies.retain(List.of(), Optional.of("12h"))).isEqualTo(new RetentionPolicies.Read(
                new RetentionPolicy.Retain(RetentionPolicy.Scope.ALL, 0, Duration.ofHours(12))));
    }

    @Test
    void whatIsWrongIsAValueNamingTheProblemAndTheWord() {
        assertThat(RetentionPolicies.retain(List.of("FULL"), Optional.empty()))
                .isEqualTo(new RetentionPolicies.Malformed(RetentionPolicies.Problem.NOT_SCOPE_AND_COUNT, "FULL"));
        assertThat(RetentionPolicies.retain(List.of("1", "2"), Optional.empty()))
                .isEqualTo(new RetentionPolicies.Malformed(RetentionPolicies.Problem.NOT_SCOPE_AND_COUNT, "1 2"));
        assertThat(RetentionPolicies.retain(List.of("ALL", "two"), Optional.empty()))
                .isEqualTo(new RetentionPolicies.Malformed(RetentionPolicies.Problem.COUNT_NOT_A_NUMBER, "two"));
        assertThat(RetentionPolicies.retain(List.of("0"), Optional.empty()))
                .isEqualTo(new RetentionPolicies.Malformed(RetentionPolicies.Problem.COUNT_BELOW_ONE, "0"));
        assertThat(RetentionPolicies.retain(List.of(), Optional.empty()))
                .isEqualTo(new RetentionPolicies.Malformed(RetentionPolicies.Problem.NOTHING_TO_KEEP, ""));
    }

    @Test
    void beforeTakesATimeWhenItStartsWithADigitElseABackupName() {
        assertThat(RetentionPolicies.before("base_000000010000000000000002"))
                .isEqualTo(new RetentionPolicy.BeforeBackup("base_000000010000000000000002"));
        assertThat(RetentionPolicies.before("2026-11-20")).isEqualTo(new RetentionPolicy.BeforeTime(Instant.parse("2026-11-20T00:00:00Z")));
        assertThat(RetentionPolicies.before("2026-11-20T08:00:00+02:00"))
                .isEqualTo(new RetentionPolicy.BeforeTime(Instant.parse("2026-11-20T06:00:00Z")));
        assertThatThrownBy(() -> RetentionPolicies.before("2026-13-40")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("malformed time '2026-13-40'");
    }
}
