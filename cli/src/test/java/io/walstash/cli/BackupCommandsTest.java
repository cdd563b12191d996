package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup commands' argument handling and failures that need no PostgreSQL, in process. */
class BackupCommandsTest {
    @TempDir
    Path dir;

    private String storage() {
        return dir.resolve("repo").toUri().toString();
    }

    @Test
    void anEmptyRepositoryListsNoBackups() {
        CliRun list = CliRun.of("backup-list", "--storage", storage(), "--json");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out().strip()).isEqualTo("[ ]");
    }

    @Test
    void fetchingAMissingBackupExits74AndNamesIt() {
        CliRun fetch = CliRun.of("backup-fetch", "--storage", storage(), dir.resolve("dest").toString(), "base_000000010000000000000009");
        assertThat(fetch.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(fetch.err()).contains("no backup named base_000000010000000000000009");
        CliRun latest = CliRun.of("restore", "--storage", storage(), dir.resolve("dest").toString());
        assertThat(latest.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        CliRun mark = CliRun.of("backup-mark", "--storage", storage(), "base_000000010000000000000009");
        assertThat(mark.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
    }

    @Test
    void recoveryTargetsAreCheckedBeforeAnythingIsFetched() {
        CliRun action = CliRun.of("restore", "--storage", storage(), dir.resolve("d").toString(), "--target-action", "explode");
        assertThat(action.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(action.err()).contains("promote, pause or shutdown");
        CliRun time = CliRun.of("restore", "--storage", storage(), dir.resolve("d").toString(), "--target-time", "yesterday");
        assertThat(time.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(time.err()).contains("--target-time yesterday");
        CliRun lsn = CliRun.of("restore", "--storage", storage(), dir.resolve("d").toString(), "--target-lsn", "zz");
        assertThat(lsn.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(Files.exists(dir.resolve("d"))).isFalse();
    }

    @Test
    void onlyOneRecoveryTargetIsAccepted() {
        CliRun two = CliRun.of("restore", "--storage", storage(), dir.resolve("d").toString(),
                "--target-xid", "5", "--target-name", "x");
        assertThat(two.exitCode()).isEqualTo(ExitCode.USAGE.code());
    }

    @Test
    void badTablespaceMappingsAreRejected() {
        CliRun fetch = CliRun.of("backup-fetch", "--storage", storage(), "--tablespace-map", "abc", dir.resolve("d").toString(), "LATEST");
        assertThat(fetch.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(fetch.err()).contains("OID=DIR");
    }

    @Test
    void backupPushNeedsAReachableServer() {
        CliRun push = CliRun.of("backup-push", "--storage", storage(), dir.toString());
        // PGHOST/PGPORT come from the environment; with nothing listening the connection fails cleanly
        assertThat(push.exitCode()).isIn(ExitCode.POSTGRES.code(), ExitCode.INVALID_INPUT.code());
        assertThat(push.err()).startsWith("walstash: error: ");
    }

    @Test
    void helpListsTheBackupCommandsAndExitCodes() {
        CliRun help = CliRun.of("--help");
        assertThat(help.out()).contains("backup-push", "backup-fetch", "restore", "backup-list", "backup-mark",
                "WALSTASH_DELTA_MAX_STEPS", "11");
    }
}
