package io.walstash.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ThreadPoolsTest {
    @Test
    void threadsAreNamedAndDaemonOrNotAsAsked() throws Exception {
        ExecutorService fixed = ThreadPools.fixed("walstash-test", 2);
        try {
            Thread seen = fixed.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
            assertThat(seen.getName()).isEqualTo("walstash-test");
            assertThat(seen.isDaemon()).isTrue();
        } finally {
            fixed.shutdown();
        }
        Thread first = ThreadPools.numbered("walstash-n-", ThreadPools.Kind.NON_DAEMON).newThread(() -> { });
        assertThat(first.getName()).isEqualTo("walstash-n-1");
        assertThat(first.isDaemon()).isFalse();
    }

    @Test
    void closingTheOwnerShutsDownEveryExecutorItCreatedAndQueuedWorkStillRuns() throws Exception {
        ThreadPools pools = new ThreadPools();
        ExecutorService requests = pools.ownedFixed(1, ThreadPools.numbered("walstash-r-", ThreadPools.Kind.NON_DAEMON));
        ExecutorService single = pools.ownedSingle("walstash-s");
        ScheduledExecutorService scheduled = pools.ownedScheduled("walstash-t");
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        requests.execute(() -> ran.add("request"));
        single.execute(() -> ran.add("single"));

        pools.close();

        assertThat(List.of(requests, single, scheduled)).allMatch(ExecutorService::isShutdown);
        assertThat(requests.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(single.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactlyInAnyOrder("request", "single");
    }

    /** Threads are created here only: the retry layer's per-attempt threads and the fetch deadline too. */
    @Test
    void coreCreatesThreadsOnlyThroughThreadPools() throws IOException {
        Set<String> allowed = Set.of("ThreadPools.java");
        List<String> offending = new ArrayList<>();
        try (Stream<Path> all = Files.walk(Path.of("src/main/java"))) {
            for (Path file : all.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(file);
                if (!allowed.contains(file.getFileName().toString())
                        && (text.contains("new Thread(") || text.contains("Executors.new"))) {
                    offending.add(file.toString());
                }
            }
        }
        assertThat(offending).isEmpty();
    }
}
