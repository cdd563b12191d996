package io.walstash.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(4), Duration.ofMillis(300));

    @Test
    void timedOutAttemptHasItsInputClosedAndTheNextAttemptRuns() throws IOException {
        AtomicBoolean closed = new AtomicBoolean();
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger attempts = new AtomicInteger();

        String result = policy.call("upload x", abandon -> {
            if (attempts.incrementAndGet() == 1) {
                InputStream input = new ByteArrayInputStream(new byte[1]) {
                    @Override
                    public void close() {
                        closed.set(true);
                    }
                };
                abandon.register(input);
                try {
                    never.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("abandoned");
            }
            return "done";
        });

        assertThat(result).isEqualTo("done");
        assertThat(closed).isTrue();
        assertThat(attempts).hasValue(2);
    }

    @Test
    void attemptsRunOnReusedDaemonThreadsNotOneNewThreadEach() throws IOException {
        java.util.Set<Thread> threads = new java.util.HashSet<>();
        for (int i = 0; i < 20; i++) {
            Thread ran = policy.call("read x", abandon -> Thread.currentThread());
            assertThat(ran.isDaemon()).as("an abandoned request must not keep the process alive").isTrue();
            assertThat(ran.getName()).isEqualTo("walstash-request");
            threads.add(ran);
            // the call returned when the attempt's result was set; wait (bounded) until its thread is
            // back among the idle ones, so that the next attempt can be handed to it
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ran.getState() != Thread.State.TIMED_WAITING && ran.getState() != Thread.State.TERMINATED
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        }
        assertThat(threads).as("threads the 20 sequential attempts ran on").hasSizeLessThan(3);
    }

    @Test
    void everyAttemptTimingOutEndsAsUnreachableWithinTheWorstCase() {
        long started = System.nanoTime();
        assertThatThrownBy(() -> policy.call("upload x", abandon -> {
            try {
                new CountDownLatch(1).await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("abandoned");
        })).isInstanceOfSatisfying(StorageFailure.class, f -> {
            assertThat(f.reason()).isEqualTo(StorageFailure.Reason.UNREACHABLE);
            assertThat(f.getMessage()).contains("upload x failed 3 times").contains("no answer within 300 ms");
        });
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(policy.worstCase().plusSeconds(2));
    }

    @Test
    void onlyFailuresThatMayPassAreTransient() {
        assertThat(RetryPolicy.isTransient(new StorageFailure(StorageFailure.Reason.UNREACHABLE, "x"))).isTrue();
        assertThat(RetryPolicy.isTransient(new StorageFailure(StorageFailure.Reason.SERVICE_ERROR, "x"))).isTrue();
        assertThat(RetryPolicy.isTransient(new ConnectException("refused"))).isTrue();
        assertThat(RetryPolicy.isTransient(new StorageFailure(StorageFailure.Reason.ACCESS_DENIED, "x"))).isFalse();
        assertThat(RetryPolicy.isTransient(new StorageFailure(StorageFailure.Reason.NO_CREDENTIALS, "x"))).isFalse();
        assertThat(RetryPolicy.isTransient(new NoSuchFileException("/pg_wal/x"))).isFalse();
        assertThat(RetryPolicy.isTransient(new IOException("file changed while it was being archived"))).isFalse();
    }

    @Test
    void worstCaseCountsEveryTimeoutAndBackoff() {
        RetryPolicy defaults = new RetryPolicy(3, Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(120));
        assertThat(defaults.worstCase()).isEqualTo(Duration.ofSeconds(4 * 120 + 1 + 2 + 4));
    }
}
