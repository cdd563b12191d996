package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.Processes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the launcher dumps a command's class-data archive: backup-push (and the per-WAL-file
 * commands) at their first run, backup-fetch and restore at their second, since a host's first
 * restore, often the one an incident waits for, runs faster with no archive than while dumping one.
 */
class ClassDataArchiveIT {
    @TempDir
    Path dir;

    /** The JVM options a launched {@code verb --help} ran with (the JVM's own account of them). */
    private String jvmFlags(Path cache, String verb) throws Exception {
        Map<String, String> environment = Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString(),
                "XDG_CACHE_HOME", cache.toString(),
                "WALSTASH_JAVA_OPTS", "-XX:+DisplayVMOutput -XX:+PrintCommandLineFlags");
        Processes.Outcome help = Processes.runAllowingFailure(List.of(Launcher.path().toString(), verb, "--help"),
                Launcher.withCache(environment), Duration.ofMinutes(5));
        assertThat(help.exitCode()).as(help.output()).isZero();
        assertThat(help.output()).as("the JVM printed its flags").contains("-XX:+UseSerialGC");
        return help.output();
    }

    @Test
    void aRestoreCommandDumpsItsArchiveAtItsSecondRunAndMapsItFromTheThird() throws Exception {
        for (String verb : List.of("backup-fetch", "restore")) {
            Path cache = dir.resolve("cache-" + verb);
            Path archive = Launcher.classDataArchives(cache).resolve(verb + "-file.jsa");

            String first = jvmFlags(cache, verb);
            assertThat(first).as(verb + ": the first run neither dumps nor maps")
                    .doesNotContain("ArchiveClassesAtExit").doesNotContain("SharedArchiveFile");
            assertThat(archive).doesNotExist();
            assertThat(archive.resolveSibling(verb + "-file.jsa.first")).as("what tells the next run to dump").isRegularFile();

            String second = jvmFlags(cache, verb);
            assertThat(second).as(verb + ": the second run dumps").contains("-XX:ArchiveClassesAtExit=" + archive);
            assertThat(archive).as("published after the second run's success").isRegularFile();

            String third = jvmFlags(cache, verb);
            assertThat(third).as(verb + ": later runs map it").contains("-XX:SharedArchiveFile=" + archive)
                    .doesNotContain("ArchiveClassesAtExit");
        }
    }

    @Test
    void backupPushDumpsItsArchiveAtItsFirstRun() throws Exception {
        Path cache = dir.resolve("cache");
        Path archive = Launcher.classDataArchives(cache).resolve("backup-push-file.jsa");

        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:ArchiveClassesAtExit=" + archive);
        assertThat(archive).isRegularFile();
        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:SharedArchiveFile=" + archive);
    }
}
