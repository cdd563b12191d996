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
 * zstd-jni's, lz4-java's and brotli4j's native libraries come from lib/native/, where the build
 * extracted them, not from a copy out of their jars into the temporary directory; a library that
 * is not paired with the jar on the class path is not used.
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
        return pushLoggingLibraries(launcherHome, repository, "zstd", Files.createDirectories(dir.resolve("tmp-" + repository)));
    }

    /**
     * Pushes a segment compressed with {@code codec} with a JVM of its own, whose temporary
     * directory is {@code tmp}, the JVM logging the native libraries it loads.
     */
    private Processes.Outcome pushLoggingLibraries(Path launcherHome, String repository, String codec, Path tmp)
            throws Exception {
        Path wal = Files.createDirectories(dir.resolve("pg_wal-" + repository));
        Path segment = WalSegmentFiles.segment(wal, SEGMENT, 7301234567890123456L, 1);
        Map<String, String> environment = Launcher.withCache(Map.of(
                "WALSTASH_STORAGE", dir.resolve(repository).toUri().toString(),
                "WALSTASH_DAEMON", "off",
                "WALSTASH_COMPRESSION", codec,
                "WALSTASH_JAVA_OPTS", "-Xlog:library=info -XX:+DisplayVMOutput -Djava.io.tmpdir=" + tmp));
        Processes.Outcome outcome = Processes.runAllowingFailure(
                List.of(launcherHome.resolve("bin/walstash").toString(), "wal-push", segment.toString()),
                environment, Duration.ofMinutes(5));
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        String extension = Map.of("zstd", "zst", "lz4", "lz4", "brotli", "br").get(codec);
        assertThat(dir.resolve(repository).resolve("wal/" + SEGMENT + "." + extension)).isRegularFile();
        return outcome;
    }

    private static List<String> loads(String output, String library) {
        return output.lines().filter(l -> l.contains("Loaded library") && l.contains(library)).toList();
    }

    private static List<String> namesIn(Path directory) throws Exception {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static Path installed() throws Exception {
        return home().resolve("lib/native/linux").resolve(System.getProperty("os.arch"));
    }

    private static List<String> zstdLoads(String output) {
        return loads(output, "libzstd-jni-");
    }

    @Test
    void aLaunchedCommandLoadsTheLibraryTheBuildExtracted() throws Exception {
        Path installed = installed();
        assertThat(namesIn(installed).stream().filter(n -> n.startsWith("libzstd-jni-"))).singleElement().asString()
                .endsWith(".so");
        List<String> loads = zstdLoads(pushLoggingLibraries(home(), "repo").output());
        assertThat(loads).singleElement().asString().contains("Loaded library " + installed.resolve("libzstd-jni-"));
    }

    /** lz4-java and brotli4j would each copy their library into the temporary directory first. */
    @Test
    void lz4AndBrotliLoadTheLibrariesTheBuildExtractedAndCopyNothing() throws Exception {
        Path installed = installed();
        for (String codec : List.of("lz4", "brotli")) {
            Path tmp = Files.createDirectories(dir.resolve("tmp-" + codec));
            String output = pushLoggingLibraries(home(), "repo-" + codec, codec, tmp).output();
            String library = codec.equals("lz4") ? "liblz4-java" : "libbrotli";
            assertThat(loads(output, library)).as(output).singleElement().asString()
                    .contains("Loaded library " + installed + "/")
                    .containsPattern(codec.equals("lz4") ? "/lz4-java-[0-9.]+/liblz4-java\\.so" : "/libbrotli-[0-9.]+\\.so");
            assertThat(namesIn(tmp)).as("copied into the temporary directory").isEmpty();
        }
    }

    /**
     * A copy of the launcher whose native library named {@code prefix}... is renamed {@code renamed}:
     * as if the jar had been replaced by a newer one and lib/native/ kept the old library.
     */
    private Path copyWithLibraryRenamed(String prefix, String renamed) throws Exception {
        Path copy = dir.resolve("walstash");
        FileTrees.copy(home(), copy);
        Path folder = copy.resolve("lib/native/linux").resolve(System.getProperty("os.arch"));
        Path library = namesIn(folder).stream().filter(n -> n.startsWith(prefix)).map(folder::resolve)
                .findFirst().orElseThrow();
        Files.move(library, folder.resolve(renamed));
        return copy;
    }

    @Test
    void anLz4LibraryNotNamedForTheJarIsNotUsed() throws Exception {
        Path copy = copyWithLibraryRenamed("lz4-java-", "lz4-java-0.0.0");
        Path tmp = Files.createDirectories(dir.resolve("tmp-copy"));
        String output = pushLoggingLibraries(copy, "repo-copy", "lz4", tmp).output();
        // lz4-java copies its own, as it does outside the launcher
        assertThat(loads(output, "liblz4-java")).singleElement().asString().contains("Loaded library " + tmp);
    }

    @Test
    void aLibraryOfAnotherVersionThanTheJarIsNotUsed() throws Exception {
        Path copy = copyWithLibraryRenamed("libzstd-jni-", "libzstd-jni-0.0.0-1.so");
        List<String> loads = zstdLoads(pushLoggingLibraries(copy, "repo-copy").output());
        assertThat(loads).singleElement().asString().contains("Loaded library ").doesNotContain(copy.toString());
    }
}
