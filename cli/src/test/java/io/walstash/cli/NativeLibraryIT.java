package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalSegmentFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zstd-jni's native library comes from lib/native/, where the build extracted it, not from a copy
 * out of its jar into a temporary file on every start; a library that is not the jar's version is
 * not used.
 */
class NativeLibraryIT {
    private static final String SEGMENT = "000000010000000000000003";

    @TempDir
    Path dir;

    private static Path home() throws Exception {
        return Launcher.path().getParent().getParent();
    }

    /** Pushes a segment with a JVM of its own, the JVM logging the native libraries it loads. */
    private Processes.Outcome pushLoggingLibraries(Path launcherHome, String repository) throws Exception {
        Path wal = Files.createDirectories(dir.resolve("pg_wal-" + repository));
        Path segment = WalSegmentFiles.segment(wal, SEGMENT, 7301234567890123456L, 1);
        Map<String, String> environment = Launcher.withCache(Map.of(
                "WALSTASH_STORAGE", dir.resolve(repository).toUri().toString(),
                "WALSTASH_DAEMON", "off",
                "WALSTASH_JAVA_OPTS", "-Xlog:library=info -XX:+DisplayVMOutput"));
        Processes.Outcome outcome = Processes.runAllowingFailure(
                List.of(launcherHome.resolve("bin/walstash").toString(), "wal-push", segment.toString()),
                environment, Duration.ofMinutes(5));
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        assertThat(dir.resolve(repository).resolve("wal/" + SEGMENT + ".zst")).isRegularFile();
        return outcome;
    }

    private static List<String> zstdLoads(String output) {
        return output.lines().filter(l -> l.contains("Loaded library") && l.contains("libzstd-jni-")).toList();
    }

    @Test
    void aLaunchedCommandLoadsTheLibraryTheBuildExtracted() throws Exception {
        Path installed = home().resolve("lib/native/linux").resolve(System.getProperty("os.arch"));
        try (Stream<Path> files = Files.list(installed)) {
            assertThat(files.map(p -> p.getFileName().toString())).singleElement().asString()
                    .startsWith("libzstd-jni-").endsWith(".so");
        }
        List<String> loads = zstdLoads(pushLoggingLibraries(home(), "repo").output());
        assertThat(loads).singleElement().asString().contains("Loaded library " + installed.resolve("libzstd-jni-"));
    }

    @Test
    void aLibraryOfAnotherVersionThanTheJarIsNotUsed() throws Exception {
        Path copy = dir.resolve("walstash");
        FileTrees.copy(home(), copy);
        Path folder = copy.resolve("lib/native/linux").resolve(System.getProperty("os.arch"));
        Path library;
        try (Stream<Path> files = Files.list(folder)) {
            library = files.findFirst().orElseThrow();
        }
        // as if the jar had been replaced by a newer one and the folder kept the old library
        Files.move(library, folder.resolve("libzstd-jni-0.0.0-1.so"));
        List<String> loads = zstdLoads(pushLoggingLibraries(copy, "repo-copy").output());
        assertThat(loads).singleElement().asString().contains("Loaded library ").doesNotContain(copy.toString());
    }
}
