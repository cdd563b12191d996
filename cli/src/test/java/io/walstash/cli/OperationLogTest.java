package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.Settings;
import io.walstash.core.io.OwnerOnly;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WALSTASH_LOG_FILE's line, which file a verb's line goes to, and the file's mode; the daemon's lines: DaemonTest. */
class OperationLogTest {
    private static final Instant AT = Instant.parse("2026-12-04T21:10:02.117Z");

    @TempDir
    Path dir;

    private static OperationLog.Entry at(OperationLog.Entry entry) {
        return new OperationLog.Entry(AT, entry.verb(), entry.subject(), entry.result(), entry.exitCode(), entry.took(), entry.detail());
    }

    @Test
    void aLineSaysTimeVerbSegmentOutcomeCodeAndDurationAndTheProblemOnOneLine() {
        Duration took = Duration.ofMillis(14);
        assertThat(OperationLog.line(at(OperationLog.entry("wal-push", "000000010000000000000003",
                new WalOutcome(0, "walstash: archived wal_005/000000010000000000000003 (16777216 bytes, 90 stored) in 14 ms"), took))))
                .isEqualTo("2026-12-04T21:10:02.117Z wal-push 000000010000000000000003 OK exit=0 14ms");
        assertThat(OperationLog.line(at(OperationLog.entry("wal-fetch", "00000002.history",
                new WalOutcome(74, "walstash: 00000002.history is not in the archive file:///r"), took))))
                .isEqualTo("2026-12-04T21:10:02.117Z wal-fetch 00000002.history NOT_FOUND exit=74 14ms");
        assertThat(OperationLog.line(at(OperationLog.entry("wal-push", "000000010000000000000004",
                WalOutcome.error(4, "000000010000000000000004 is already archived with DIFFERENT content;\nrefusing"), took))))
                .isEqualTo("2026-12-04T21:10:02.117Z wal-push 000000010000000000000004 ERROR exit=4 14ms:"
                        + " 000000010000000000000004 is already archived with DIFFERENT content; refusing");
        assertThat(OperationLog.line(at(OperationLog.entry("wal-push", "000000010000000000000005",
                new WalOutcome(0, "walstash: warning: storage unavailable (unreachable); 000000010000000000000005 spooled to /s"), took))))
                .isEqualTo("2026-12-04T21:10:02.117Z wal-push 000000010000000000000005 WARNING exit=0 14ms:"
                        + " storage unavailable (unreachable); 000000010000000000000005 spooled to /s");
        assertThat(OperationLog.line(new OperationLog.Entry(AT, "backup-push", Optional.empty(), OperationLog.Result.OK, 0,
                Duration.ofSeconds(2), Optional.empty()))).isEqualTo("2026-12-04T21:10:02.117Z backup-push - OK exit=0 2000ms");
        assertThat(OperationLog.fileName("pg_wal/000000010000000000000003")).isEqualTo("000000010000000000000003");
    }

    @Test
    void theSeedsNamesServeTheirOwnVerbAndWalstashsNameWinsForEvery() {
        Settings seed = Settings.of(Map.of("WAL_ARCHIVE_LOG", "/var/log/postgresql/wal-archive.log",
                "WAL_RESTORE_LOG", "restore.log"));
        assertThat(OperationLog.file(seed, "wal-push", dir)).contains(Path.of("/var/log/postgresql/wal-archive.log"));
        assertThat(OperationLog.file(seed, "wal-fetch", dir)).as("relative to the caller's directory").contains(dir.resolve("restore.log"));
        assertThat(OperationLog.file(seed, "backup-push", dir)).isEmpty();

        Settings both = Settings.of(Map.of("WAL_ARCHIVE_LOG", "/a.log", "WALSTASH_LOG_FILE", "/all.log"));
        assertThat(OperationLog.file(both, "wal-push", dir)).contains(Path.of("/all.log"));
        assertThat(OperationLog.file(both, "delete", dir)).contains(Path.of("/all.log"));
        assertThat(OperationLog.file(Settings.of(Map.of()), "wal-push", dir)).isEmpty();
    }

    @Test
    void theFileIsCreatedOwnerOnlyAndAppendedTo() throws IOException {
        Path file = dir.resolve("walstash.log");
        Settings settings = Settings.of(Map.of("WALSTASH_LOG_FILE", file.toString()));
        OperationLog log = new OperationLog();
        OperationLog.Entry entry = new OperationLog.Entry(AT, "status", Optional.empty(), OperationLog.Result.OK, 0,
                Duration.ofMillis(3), Optional.empty());

        assertThat(log.append(settings, dir, entry)).isEmpty();
        assertThat(log.append(settings, dir, entry)).isEmpty();

        assertThat(Files.readAllLines(file)).containsExactly(OperationLog.line(entry), OperationLog.line(entry));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        Path existing = Files.writeString(dir.resolve("existing.log"), "kept\n");
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-r-----"));
        new OperationLog().append(Settings.of(Map.of("WALSTASH_LOG_FILE", existing.toString())), dir, entry);
        assertThat(Files.readAllLines(existing)).containsExactly("kept", OperationLog.line(entry));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)))
                .as("an existing file's mode is the operator's").isEqualTo("rw-r-----");
    }

    @Test
    void aFileThatCannotBeWrittenIsOneWarningAndNeverAnException() throws IOException {
        Path directory = OwnerOnly.createDirectory(dir.resolve("a-directory"));
        Settings settings = Settings.of(Map.of("WALSTASH_LOG_FILE", directory.toString()));
        OperationLog log = new OperationLog();
        OperationLog.Entry entry = new OperationLog.Entry(AT, "wal-push", Optional.of("000000010000000000000003"),
                OperationLog.Result.OK, 0, Duration.ofMillis(3), Optional.empty());

        assertThat(log.append(settings, dir, entry)).hasValueSatisfying(warning -> assertThat(warning)
                .startsWith("walstash: warning: cannot write the operation log " + directory).endsWith("operations go on without it")
                .doesNotContain("\n"));
        assertThat(log.append(settings, dir, entry)).as("once").isEmpty();
    }

    @Test
    void everyCommandLogsAfterItRanAndAUsageErrorIsNoOperation() throws IOException {
        Path file = dir.resolve("all.log");
        Path config = Files.writeString(dir.resolve("walstash.env"), "WALSTASH_STORAGE=" + dir.resolve("repo").toUri()
                + "\nWALSTASH_LOG_FILE=" + file + "\n");

        CliRun check = CliRun.of("check", "--config", config.toString());
        CliRun missing = CliRun.of("wal-push", "--config", config.toString(), dir.resolve("pg_wal/000000010000000000000002").toString());
        CliRun usage = CliRun.of("wal-push", "--config", config.toString());
        CliRun.of("--help");

        assertThat(check.exitCode()).isZero();
        assertThat(missing.exitCode()).isNotZero();
        assertThat(usage.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(usage.err() + missing.err()).doesNotContain("operation log");
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("\\S+Z check - OK exit=0 \\d+ms");
        assertThat(lines.get(1)).matches("\\S+Z wal-push 000000010000000000000002 ERROR exit=" + missing.exitCode()
                + " \\d+ms: .*000000010000000000000002.*");
    }
}
