package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher asks for transparent huge pages for the Java heap where the kernel hands them out
 * on request ({@code [madvise]}), and nowhere else; the JVM then reserves its heap in 2 MiB pages.
 * WALSTASH_JAVA_OPTS turns it off.
 */
class HugePagesIT {
    private static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    /** The JVM's own account of its heap's reservation (-Xlog:pagesize). */
    private static final Pattern HEAP_PAGE = Pattern.compile("\\] Heap: .* page_size=([0-9]+[KMG]?)");

    @TempDir
    Path dir;

    /** A kernel without transparent huge pages has no such file: the launcher then adds nothing. */
    private static boolean kernelGivesHugePagesOnRequest() throws Exception {
        return Files.isReadable(THP_MODE) && Files.readString(THP_MODE).contains("[madvise]");
    }

    /** The heap page size a launched command's JVM reports, with {@code javaOpts} added. */
    private String heapPageSize(String javaOpts) throws Exception {
        Map<String, String> environment = new HashMap<>(Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString(),
                "WALSTASH_JAVA_OPTS", "-XX:+DisplayVMOutput -Xlog:pagesize " + javaOpts));
        Processes.Outcome listed = Processes.runAllowingFailure(List.of(Launcher.path().toString(), "backup-list", "--json"),
                Launcher.withCache(environment), Duration.ofMinutes(5));
        assertThat(listed.exitCode()).as(listed.output()).isZero();
        Matcher heap = HEAP_PAGE.matcher(listed.output());
        assertThat(heap.find()).as(listed.output()).isTrue();
        return heap.group(1);
    }

    @Test
    void theHeapIsInHugePagesExactlyWhereTheKernelGivesThemOnRequest() throws Exception {
        assertThat(heapPageSize("")).isEqualTo(kernelGivesHugePagesOnRequest() ? "2M" : "4K");
    }

    @Test
    void walstashJavaOptsTurnsThemOff() throws Exception {
        assertThat(heapPageSize("-XX:-UseTransparentHugePages")).isEqualTo("4K");
    }
}
