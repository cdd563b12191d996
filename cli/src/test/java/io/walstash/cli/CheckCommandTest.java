package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void workingStorageReportsEachStepAndLeavesNoProbe() throws IOException {
        Path repository = dir.resolve("repo");
        CliRun run = CliRun.of("check", "--storage", repository.toUri().toString(), "--create-bucket");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("storage: file://" + repository, "write 64 KiB probe", "read it back", "list",
                "delete", "confirm deleted", "nothing to create for file storage", "OK: the storage works")
                .containsPattern("read it back\\s+\\d+\\.\\d ms")
                .contains("repository: empty");
        try (Stream<Path> left = Files.walk(repository)) {
            assertThat(left.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    void reportsWhichClusterTheRepositoryServes() throws IOException {
        Path repository = dir.resolve("repo");
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Path segment = io.walstash.core.testing.WalSegmentFiles.segment(pgWal, "000000010000000000000001", 4242, 1);
        assertThat(CliRun.of("wal-push", "--storage", repository.toUri().toString(), segment.toString()).exitCode()).isZero();

        CliRun run = CliRun.of("check", "--storage", repository.toUri().toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("repository: serves system 4242");
    }

    @Test
    void unusableStorageFailsInOneLineNamingTheStep() throws IOException {
        Path blocker = Files.writeString(dir.resolve("a-file"), "in the way");
        CliRun run = CliRun.of("check", "--storage", blocker.resolve("repo").toUri().toString());

        assertThat(run.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(run.out()).contains("write 64 KiB probe").contains("FAILED");
        assertThat(run.errLines()).singleElement().asString().startsWith("walstash: error: ").contains(blocker.toString());
    }

    @Test
    void missingConfigurationIsNamed() {
        CliRun run = CliRun.of("check");
        // the environment of the test run may set WALSTASH_STORAGE; only check when it does not
        if (System.getenv("WALSTASH_STORAGE") == null && System.getenv("WALG_FILE_PREFIX") == null
                && System.getenv("WALG_S3_PREFIX") == null && System.getenv("WALG_GS_PREFIX") == null
                && System.getenv("WALG_AZ_PREFIX") == null) {
            assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
            assertThat(run.errLines()).singleElement().asString().contains("no storage configured")
                    .contains("pass --storage or set WALSTASH_STORAGE");
        }
    }
}
