package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.Processes;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the {@code bash runbook} blocks of the quick start, monitoring and PITR runbooks, in that
 * order, as the cluster's OS user against one throwaway cluster with a file:// repository, so the
 * documented procedure is the tested one.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class RunbookIT extends EndToEndTest {
    private static final Path RUNBOOKS = Path.of("..", "docs", "runbooks").toAbsolutePath().normalize();
    private static final Pattern RUNNABLE = Pattern.compile("(?ms)^```bash runbook\\n(.*?)^```");

    private Path restoreDir;

    @BeforeEach
    void setUp() throws Exception {
        restoreDir = work.resolve("restored");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (Files.exists(restoreDir.resolve("postmaster.pid"))) {
            Processes.runAllowingFailure(user.wrap(List.of(binaries.tool("pg_ctl").toString(), "-D", restoreDir.toString(),
                    "-m", "immediate", "-w", "stop")), Map.of(), Duration.ofMinutes(2));
        }
    }

    private static List<String> blocks(String runbook) throws Exception {
        List<String> blocks = new ArrayList<>();
        Matcher m = RUNNABLE.matcher(Files.readString(RUNBOOKS.resolve(runbook)));
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void quickStartMonitoringAndPitrBlocksRunAsWritten() throws Exception {
        Path repository = work.resolve("repository");
        Path textfiles = work.resolve("textfiles");
        Files.createDirectories(textfiles);
        user.own(textfiles);
        try (LocalCluster cluster = LocalCluster.initdb(binaries, user, work.resolve("data"), work)) {
            cluster.start();
            Map<String, String> env = Launcher.libpqEnvironment(repository, cluster);
            env.put("PGDATA", cluster.dataDirectory().toString());
            env.put("PATH", Launcher.path().getParent() + ":" + binaries.directory() + ":" + System.getenv("PATH"));
            env.put("TEXTFILE_DIR", textfiles.toString());
            env.put("RESTORE_DIR", restoreDir.toString());
            env.put("RESTORE_PORT", Integer.toString(freePort()));
            env.put("HOME", work.toString());
            env = Launcher.withCache(env);

            List<String> run = new ArrayList<>();
            run.addAll(blocks("quick-start.md"));
            run.addAll(blocks("monitoring.md"));
            run.addAll(blocks("pitr-and-disaster-recovery.md"));
            assertThat(run).hasSizeGreaterThanOrEqualTo(6);
            for (String block : run) {
                Processes.Outcome outcome = Processes.runAllowingFailure(
                        user.wrap(List.of("bash", "-euo", "pipefail", "-c", block)), env, Duration.ofMinutes(4));
                assertThat(outcome.exitCode()).as("block:\n%s\noutput:\n%s", block, outcome.output()).isZero();
            }
            assertThat(Files.readString(textfiles.resolve("walstash.prom"))).contains("walstash_backups");
            // the restored server answers on its port after recovering from the repository
            Processes.Outcome answer = Processes.runAllowingFailure(user.wrap(List.of(binaries.tool("psql").toString(),
                    "-h", "127.0.0.1", "-p", env.get("RESTORE_PORT"), "-U", "postgres", "-d", "postgres", "-Atc", "SELECT 1")),
                    Map.of(), Duration.ofMinutes(1));
            assertThat(answer.output().strip()).as(answer.output()).isEqualTo("1");
        }
    }
}
