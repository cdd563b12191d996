package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Progress of a real backup-push and backup-verify through the built launcher, with stdout and
 * stderr kept apart: the progress lines are on stderr only, and stdout (the backup name, the
 * --json report) is byte-for-byte what it is with progress off.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class ProgressIT extends EndToEndTest {
    private static final Duration WAIT = Duration.ofMinutes(3);

    private record Run(int exitCode, String out, String err) {
    }

    /** The launcher with stdout and stderr in separate files (Launcher.run merges them). */
    private Run walstash(Map<String, String> environment, String interval, String... arguments) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Launcher.path().toString());
        command.addAll(List.of(arguments));
        Map<String, String> env = new HashMap<>(environment);
        env.put("WALSTASH_PROGRESS_INTERVAL", interval);
        ProcessBuilder builder = new ProcessBuilder(user.wrap(command));
        builder.environment().putAll(Launcher.withCache(env));
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(4, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("walstash " + String.join(" ", arguments) + " did not finish");
        }
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void backupPushAndVerifyShowProgressOnStderrOnlyAndStdoutIsUnchanged() throws Exception {
        Path repository = work.resolve("repository");
        try (LocalCluster cluster = LocalCluster.initdb(binaries, user, work.resolve("data"), work)) {
            cluster.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command",
                    "WALSTASH_DAEMON=off WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
            cluster.start();
            cluster.switchWalAndWaitForArchive(WAIT);
            try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 50000) g");
            }
            Map<String, String> env = Launcher.libpqEnvironment(repository, cluster);

            // 1ms: every file done after the first millisecond prints a line, so a small backup shows several
            Run push = walstash(env, "1ms", "backup-push", cluster.dataDirectory().toString(), "--full");
            assertThat(push.exitCode()).as(push.err()).isZero();
            assertThat(push.out()).as("stdout is the backup name alone").matches("base_[0-9A-F]{24}\n");
            String name = push.out().strip();
            List<String> lines = push.err().lines().filter(l -> l.startsWith("walstash: backup " + name + ": ")).toList();
            assertThat(lines).as(push.err()).hasSizeGreaterThan(1);
            assertThat(lines.get(lines.size() - 1))
                    .matches("walstash: backup " + name + ": \\d+/\\d+ files, [0-9.]+/[0-9.]+ MiB \\(\\d+%\\), [0-9.]+ MiB/s, ETA \\d+ s");
            assertThat(push.err()).as("not a terminal: whole lines, no carriage return").doesNotContain("\r");

            cluster.stop();

            Run verify = walstash(env, "1ms", "backup-verify", name, "--json");
            Run quietVerify = walstash(env, "0", "backup-verify", name, "--json");
            assertThat(verify.exitCode()).as(verify.err()).isZero();
            assertThat(verify.err()).containsPattern("walstash: verify " + name + ": \\d+/\\d+ files");
            assertThat(quietVerify.err()).doesNotContain("walstash: verify " + name + ": ");
            assertThat(verify.out()).as("--json is byte-identical with progress on and off").isEqualTo(quietVerify.out());
            assertThat(verify.out()).startsWith("{").doesNotContain("MiB/s");
        }
    }
}
