package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import io.walstash.core.testing.BackupFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
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
        assertThat(action.err()).contains("promote, pause or shutdown")
                .contains("walstash: error: --target-action must be promote, pause or shutdown, not explode");
        CliRun timeline = CliRun.of("restore", "--storage", storage(), dir.resolve("d").toString(), "--target-timeline", "x");
        assertThat(timeline.err()).contains("walstash: error: --target-timeline must be latest, current or a number, not x");
        CliRun xid = CliRun.of("restore", "--storage", storage(), dir.resolve("d").toString(), "--target-xid", "abc");
        assertThat(xid.err()).contains("walstash: error: --target-xid must be a transaction id (a number), not abc");
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
    void aManifestWithATraversalPathExits6OnOneLineAndWritesNothingOutsideDest() throws Exception {
        String name = writeBackup("base/../../escaped", "global", Map.of());
        Path escape = dir.resolve("escaped");
        Path dest = dir.resolve("dest");
        for (String verb : List.of("backup-fetch", "restore")) {
            CliRun fetch = CliRun.of(verb, "--storage", storage(), "--force", dest.toString(), name);
            assertThat(fetch.exitCode()).as(fetch.err()).isEqualTo(ExitCode.CORRUPT.code());
            assertThat(fetch.errLines()).hasSize(1);
            assertThat(fetch.err()).startsWith("walstash: error: backup " + name + ": file path \"base/../../escaped\"");
            assertThat(escape).doesNotExist();
            try (Stream<Path> all = Files.walk(dir)) {
                assertThat(all.filter(p -> !p.startsWith(dir.resolve("repo")) && !p.startsWith(dest) && !p.equals(dir)))
                        .isEmpty();
            }
        }
    }

    @Test
    void aTablespaceNeedsAMapOrTheOperatorsWordToUseTheManifestsLocation() throws Exception {
        Path named = dir.resolve("named-by-manifest");
        String name = writeBackup("pg_tblspc/16385/PG_16_1/t", "pg_tblspc/16385/PG_16_1", Map.of("16385", named.toString()));
        CliRun refused = CliRun.of("backup-fetch", "--storage", storage(), dir.resolve("d1").toString(), name);
        assertThat(refused.exitCode()).as(refused.err()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(refused.err()).contains("--tablespace-map 16385=DIR", "--tablespaces-from-manifest");
        assertThat(named).doesNotExist();
        CliRun trusted = CliRun.of("backup-fetch", "--storage", storage(), "--tablespaces-from-manifest",
                dir.resolve("d2").toString(), name);
        assertThat(trusted.exitCode()).as(trusted.err()).isZero();
        assertThat(named.resolve("PG_16_1/t")).hasContent("far");
    }

    /** A backup of pg_control and one more file {@code path} (content "far") in directory {@code directory}. */
    private String writeBackup(String path, String directory, Map<String, String> tablespaces) throws Exception {
        String name = "base_000000010000000000000002";
        Configuration c = Configuration.of(Map.of("WALSTASH_STORAGE", storage()));
        try (Storage s = Storages.open(StorageLocation.configured(c), c.settings())) {
            BackupFixtures.restorable(s, Codecs.installed().byName("zstd"), name, List.of(
                    new BackupFixtures.FixtureFile("global/pg_control", new byte[8192], 0600),
                    new BackupFixtures.FixtureFile(path, "far".getBytes(StandardCharsets.UTF_8), 0600)),
                    List.of(new BackupManifest.Directory("global", 0700), new BackupManifest.Directory(directory, 0700)),
                    tablespaces);
        }
        return name;
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
