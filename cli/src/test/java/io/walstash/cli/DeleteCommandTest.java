package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.backup.BackupManifest;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delete commands' arguments and exit codes, in process, on a small file:// repository. */
class DeleteCommandTest {
    @TempDir
    Path dir;

    private String storage;

    @BeforeEach
    void twoBackups() throws IOException {
        storage = dir.resolve("repo").toUri().toString();
        Configuration c = Configuration.of(Map.of("WALSTASH_STORAGE", storage));
        try (Storage s = Storages.open(StorageLocation.configured(c), c.settings())) {
            Instant t = Instant.parse("2026-11-01T00:00:00Z");
            BackupManifest full = BackupFixtures.write(s, WalSegmentSize.DEFAULT, 1, 2, 3, t, t.plusSeconds(60), null, false, 1);
            BackupFixtures.write(s, WalSegmentSize.DEFAULT, 1, 5, 5, t.plus(Duration.ofDays(1)),
                    t.plus(Duration.ofDays(1)).plusSeconds(60), full, false, 1);
        }
    }

    private CliRun delete(String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "delete";
        System.arraycopy(args, 0, full, 1, args.length);
        full[args.length + 1] = "--storage";
        full[args.length + 2] = storage;
        return CliRun.of(full);
    }

    @Test
    void badCountsAndDurationsAreInvalidInputWithOneLine() {
        for (String[] args : new String[][] {{"retain", "0"}, {"retain", "-3"}, {"retain", "FULL", "many"},
                {"retain", "2", "--window", "7x"}, {"retain", "--window", "0d"}, {"before", "2026-13-01"},
                {"before", "2026-11-01T25:00:00Z"}, {"garbage", "--grace", "soon"}}) {
            CliRun run = delete(args);
            assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCode.INVALID_INPUT.code());
            assertThat(run.errLines()).as(String.join(" ", args)).singleElement().asString().startsWith("walstash: error: ");
        }
        assertThat(delete("retain", "2", "--window", "7x").err()).contains("malformed duration '7x'");
        assertThat(delete("before", "2026-13-01").err()).contains("malformed time '2026-13-01'");
    }

    @Test
    void malformedCommandLinesAreUsageErrors() {
        for (String[] args : new String[][] {{}, {"retain"}, {"retain", "FULL"}, {"retain", "FULL", "2", "3"},
                {"retain", "SOME", "2"}, {"before"}, {"everything", "now"}}) {
            CliRun run = delete(args);
            assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCode.USAGE.code());
            assertThat(run.err()).startsWith("walstash: error: ");
        }
    }

    @Test
    void anUnknownBackupNameIsNotFound() {
        CliRun run = delete("before", "base_000000010000000000000099");
        assertThat(run.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(run.errLines()).singleElement().asString().contains("no backup named base_000000010000000000000099");
    }

    @Test
    void beforeATimeAfterEveryBackupIsRefused() {
        CliRun run = delete("before", "2030-01-01", "--confirm");
        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(run.err()).contains("would delete every backup", "delete everything");
        assertThat(CliRun.of("backup-list", "--storage", storage).out()).contains("base_000000010000000000000002");
    }

    @Test
    void retainWithoutACountUsesTheRetainBackupsSetting() throws IOException {
        Path config = dir.resolve("walstash.env");
        java.nio.file.Files.writeString(config, "WALG_RETAIN_BACKUPS=1\n");
        CliRun run = delete("retain", "--config", config.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("delete retain ALL 1", "dry run: nothing was deleted");
        CliRun full = delete("retain", "FULL", "--config", config.toString());
        assertThat(full.exitCode()).as(full.err()).isZero();
        assertThat(full.out()).contains("delete retain FULL 1");
        CliRun unset = delete("retain");
        assertThat(unset.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(unset.err()).contains("or WALSTASH_RETAIN_BACKUPS set");
    }

    @Test
    void fewerBackupsThanNDeleteNothingAndSaySo() {
        CliRun run = delete("retain", "FULL", "3", "--confirm");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("only 1 full backups (fewer than 3): all kept",
                "deleted 0 backup folder(s) and 0 WAL object(s)");
    }

    @Test
    void aWindowKeepsTheNewestBackupBeforeItAndItsChain() {
        CliRun run = delete("retain", "--window", "7d", "--confirm");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("delete retain --window 7d",
                "newest backup finished before the 7d window began",
                "base of kept base_000000010000000000000005_D_000000010000000000000002",
                "deleted 0 backup folder(s)");
    }

    @Test
    void everythingAsJsonReportsWhatWent() throws Exception {
        CliRun run = delete("everything", "--json", "--confirm");
        assertThat(run.exitCode()).as(run.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode document = new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.out());
        assertThat(document.get("dry_run").asBoolean()).isFalse();
        assertThat(document.get("result").get("deleted_backup_folders")).hasSize(2);
        assertThat(document.get("keep")).isEmpty();
        assertThat(CliRun.of("backup-list", "--storage", storage, "--json").out().strip()).isEqualTo("[ ]");
        // file:// leaves emptied folders in place by design; no object may be left in them
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir.resolve("repo/backups"))) {
            assertThat(files.filter(java.nio.file.Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void beforeANameKeepsItAndDeletesWhatIsOlder() {
        CliRun run = delete("before", "base_000000010000000000000005_D_000000010000000000000002");
        assertThat(run.exitCode()).as(run.err()).isZero();
        // the named delta keeps its base
        assertThat(run.out()).contains("base of kept base_000000010000000000000005_D_000000010000000000000002")
                .doesNotContain("DELETE  base_");
    }

    private static String help(String... command) {
        String[] args = java.util.Arrays.copyOf(command, command.length + 1);
        args[command.length] = "--help";
        return CliRun.of(args).out().replaceAll("\\s+", " ");
    }

    @Test
    void helpDescribesTheRulesAndTheGracePeriod() {
        assertThat(CliRun.of("--help").out()).contains("delete");
        assertThat(help("delete")).contains("never by name", "dry run", "--confirm");
        assertThat(help("delete", "garbage")).contains("a backup-push that is still running has no manifest yet", "24h");
        assertThat(CliRun.of("delete", "retain", "--help").out()).contains("--window", "Exit codes", "74");
    }
}
