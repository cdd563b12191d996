package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wal-verify's and backup-verify's argument handling and empty-repository answers, in process. */
class VerifyCommandsTest {
    @TempDir
    Path dir;

    private String storage() {
        return dir.resolve("repo").toUri().toString();
    }

    @Test
    void anEmptyRepositoryHasNothingMissing() {
        CliRun verify = CliRun.of("wal-verify", "--storage", storage());
        assertThat(verify.exitCode()).as(verify.err()).isZero();
        assertThat(verify.out()).contains("OK: -..-, 0 missing, 0 corrupt");
        CliRun json = CliRun.of("wal-verify", "--storage", storage(), "--json");
        assertThat(json.out()).contains("\"verdict\" : \"OK\"").contains("\"late_window_seconds\" : 300");
    }

    @Test
    void lateWindowTakesShortAndIsoDurations() {
        assertThat(WalVerifyCommand.parseDuration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(WalVerifyCommand.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(WalVerifyCommand.parseDuration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(WalVerifyCommand.parseDuration("PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThat(WalVerifyCommand.parseDuration("0")).isEqualTo(Duration.ZERO);
        CliRun bad = CliRun.of("wal-verify", "--storage", storage(), "--late-window", "soon");
        assertThat(bad.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(bad.err()).contains("--late-window soon");
    }

    @Test
    void backupVerifyOfNoBackupExits74AndNameOrAllNotBoth() {
        CliRun latest = CliRun.of("backup-verify", "--storage", storage());
        assertThat(latest.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        CliRun all = CliRun.of("backup-verify", "--storage", storage(), "--all");
        assertThat(all.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        CliRun both = CliRun.of("backup-verify", "--storage", storage(), "base_000000010000000000000002", "--all");
        assertThat(both.exitCode()).isEqualTo(ExitCode.USAGE.code());
    }

    @Test
    void helpListsTheNewExitCode() {
        CliRun help = CliRun.of("wal-verify", "--help");
        assertThat(help.out()).containsPattern("\\n\\s*9\\s+wal-verify: the archived WAL");
    }
}
