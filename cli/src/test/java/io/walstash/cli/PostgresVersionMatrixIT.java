package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The end-to-end suite on the PostgreSQL versions other than the host's 15 (whose full suite is every
 * other IT): 13 from Debian bullseye and 17 from Debian trixie, each in a container made from
 * Debian's own packages (dev/postgres-image.sh; trixie's 17 needs a newer C library than this
 * bookworm host has, so containers rather than unpacked binaries), with the launcher folder Maven
 * just built mounted read-only, driven through Testcontainers against the engine dev/with-docker.sh
 * starts. In the container, as the postgres OS user: {@code walstash demo} (archive through
 * archive_command, a full and a delta backup under pgbench, a point-in-time restore through wal-fetch,
 * data compared with the source's at the target), then {@code wal-verify --deep} and
 * {@code backup-verify --restore-test} of the delta backup on the repository the demo kept.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class PostgresVersionMatrixIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern KEPT = Pattern.compile("(?m)^\\s*kept (/tmp/walstash-demo-\\d+)$");

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 17})
    void archiveBackupRestoreAndVerifyEndToEnd(int major) throws Exception {
        String image = image(major);
        Path launcherHome = Launcher.path().getParent().getParent();
        try (GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                .withImagePullPolicy(name -> false) // built locally; there is no registry to pull from
                .withFileSystemBind(launcherHome.toString(), "/opt/walstash", BindMode.READ_ONLY)
                .withCommand("sleep", "infinity")) {
            container.start();
            String pgBin = "/usr/lib/postgresql/" + major + "/bin";

            ExecResult demo = walstash(container, Map.of("PG_BIN", pgBin), "demo", "--keep", "--scale", "1",
                    "--transactions", "300");
            assertThat(demo.getExitCode()).as(demo.getStdout() + demo.getStderr()).isZero();
            assertThat(demo.getStdout()).contains("walstash demo: PostgreSQL " + major + " from " + pgBin)
                    .containsPattern("OK: \\d+ tables, \\d+ rows identical in source and restored cluster");
            Matcher kept = KEPT.matcher(demo.getStdout());
            assertThat(kept.find()).as(demo.getStdout()).isTrue();
            Map<String, String> repository = Map.of("WALSTASH_STORAGE", "file://" + kept.group(1) + "/repository",
                    "PG_BIN", pgBin);

            // the backups record the server's version; its WAL decodes with this version's page magic
            ExecResult list = walstash(container, repository, "backup-list", "--json", "--detail");
            assertThat(list.getExitCode()).as(list.getStderr()).isZero();
            assertThat(Pattern.compile("\"pg_version\" : (\\d+)").matcher(list.getStdout()).results()
                    .map(m -> Integer.parseInt(m.group(1)) / 10_000).toList())
                    .as(list.getStdout()).hasSize(2).containsOnly(major);

            ExecResult walVerify = walstash(container, repository, "wal-verify", "--deep");
            assertThat(walVerify.getExitCode()).as(walVerify.getStdout() + walVerify.getStderr()).isZero();
            assertThat(walVerify.getStdout()).contains("OK");

            ExecResult restoreTest = walstash(container, repository, "backup-verify", "--restore-test", "LATEST");
            assertThat(restoreTest.getExitCode()).as(restoreTest.getStdout() + restoreTest.getStderr()).isZero();
            // the delta, through its base: restored, recovered, started and queried
            assertThat(restoreTest.getStdout()).as(restoreTest.getStdout())
                    .containsPattern("(?m)^restore +base_\\S+_D_\\S+: passed in");
        }
    }

    /**
     * Versions outside 13..17 are refused before any work, in one line. No such PostgreSQL is
     * installable here (Debian's oldest is bullseye's 13, its newest trixie's 17), so PG_BIN points
     * at a stand-in {@code postgres} that only answers {@code --version} as those releases do.
     */
    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(strings = {"12.22", "18.1"})
    void unsupportedVersionsAreRefusedInOneLine(String version) throws Exception {
        Path bin = Files.createTempDirectory("walstash-pg-" + version + "-");
        try {
            Path postgres = bin.resolve("postgres");
            Files.writeString(postgres, "#!/bin/sh\necho 'postgres (PostgreSQL) " + version + "'\n");
            Files.setPosixFilePermissions(postgres, PosixFilePermissions.fromString("rwx------"));
            for (String tool : List.of("initdb", "pg_ctl")) {
                Files.copy(postgres, bin.resolve(tool));
            }
            Processes.Outcome demo = Processes.runAllowingFailure(List.of(Launcher.path().toString(), "demo"),
                    Launcher.withCache(Map.of("PG_BIN", bin.toString())), Duration.ofMinutes(2));
            String major = version.substring(0, version.indexOf('.'));
            assertThat(demo.exitCode()).as(demo.output()).isEqualTo(ExitCode.INVALID_INPUT.code());
            assertThat(demo.output().lines().filter(l -> l.startsWith("walstash: error:")).toList())
                    .as(demo.output()).singleElement().asString()
                    .startsWith("walstash: error: PostgreSQL " + major + " is not supported: walstash supports PostgreSQL 13 to 17");
            assertThat(demo.output()).doesNotContain("initdb, start");
        } finally {
            FileTrees.delete(bin);
        }
    }

    /** The image of PostgreSQL {@code major}: made in the background by dev/with-docker.sh, or here (same lock). */
    private static String image(int major) throws Exception {
        Processes.Outcome built = Processes.runAllowingFailure(
                List.of(ROOT.resolve("dev/postgres-image.sh").toString(), Integer.toString(major)), Map.of(),
                Duration.ofMinutes(12));
        assertThat(built.exitCode()).as(built.output()).isZero();
        return "walstash-it/postgres:" + major;
    }

    /** Runs the launcher in the container as the postgres OS user, with {@code environment}. */
    private static ExecResult walstash(GenericContainer<?> container, Map<String, String> environment, String... arguments)
            throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("env"));
        environment.forEach((name, value) -> command.add(name + "=" + value));
        command.add("/opt/walstash/bin/walstash");
        command.addAll(List.of(arguments));
        return container.execInContainerWithUser("postgres", command.toArray(String[]::new));
    }
}
