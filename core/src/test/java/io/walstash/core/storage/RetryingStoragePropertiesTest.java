package io.walstash.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.storage.ScriptedFaults.Kind;
import io.walstash.core.storage.ScriptedFaults.Outcome;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The retry layer over generated sequences of failures, with an instant clock: attempts never
 * exceed the budget, permanent failures are never retried, the time spent waiting is bounded, and
 * every request that has an answering attempt left ends with the right result.
 */
class RetryingStoragePropertiesTest {
    private static final String KEY = "wal_005/000000010000000000000001.zst";
    /**
     * Slow attempts are abandoned at this real timeout: short, so that properties stay fast, but long
     * enough that an attempt which answers at once is never taken for a slow one on a loaded machine
     * (at 40 ms one was, once, at a load average of 20 on 2 cores).
     */
    private static final Duration TIMEOUT = Duration.ofMillis(150);

    /** Time that passes only when the layer waits: the sum of its pauses. */
    static final class FakeTiming implements RetryPolicy.Timing {
        final AtomicLong now = new AtomicLong();
        final List<Duration> pauses = new ArrayList<>();

        @Override
        public long nanoTime() {
            return now.get();
        }

        @Override
        public synchronized void sleep(Duration pause) {
            pauses.add(pause);
            now.addAndGet(pause.toNanos());
        }

        Duration slept() {
            return Duration.ofNanos(now.get());
        }
    }

    @Provide
    Arbitrary<List<Outcome>> failures() {
        // slow attempts cost real time (the timeout): rarer than the others
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(6, Arbitraries.just(Outcome.TRANSIENT)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.just(Outcome.PERMANENT)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.just(Outcome.SLOW)),
                        net.jqwik.api.Tuple.of(3, Arbitraries.just(Outcome.MIDWAY)),
                        net.jqwik.api.Tuple.of(3, Arbitraries.just(Outcome.OK)))
                .list().ofMaxSize(8);
    }

    private static RetryPolicy policy(int retries) {
        return new RetryPolicy(retries, Duration.ofMillis(100), Duration.ofSeconds(2), TIMEOUT);
    }

    /** Index of the attempt that decides: the first that succeeds or fails for good, within {@code attempts}. */
    private static int deciding(List<Outcome> script, int attempts, boolean midwayFails) {
        for (int i = 0; i < attempts; i++) {
            Outcome o = i < script.size() ? script.get(i) : Outcome.OK;
            if (o == Outcome.OK || o == Outcome.PERMANENT || o == Outcome.MIDWAY && !midwayFails) {
                return i;
            }
        }
        return -1;
    }

    /**
     * As {@link #deciding} for a read of {@code length} bytes: each attempt broken midway delivers one
     * byte and the next resumes after it, so a broken attempt with one byte left reads the object whole.
     */
    private static int decidingRead(List<Outcome> script, int attempts, int length) {
        int left = length;
        for (int i = 0; i < attempts; i++) {
            Outcome o = at(script, i);
            if (o == Outcome.OK || o == Outcome.PERMANENT || o == Outcome.MIDWAY && left <= 1) {
                return i;
            }
            if (o == Outcome.MIDWAY) {
                left--;
            }
        }
        return -1;
    }

    private static Outcome at(List<Outcome> script, int i) {
        return i < script.size() ? script.get(i) : Outcome.OK;
    }

    private void assertBounded(RetryPolicy policy, FakeTiming timing, ScriptedFaults faults) {
        assertThat(faults.calls.get()).isLessThanOrEqualTo(policy.retries() + 1);
        assertThat(timing.pauses).hasSizeLessThanOrEqualTo(policy.retries());
        assertThat(timing.slept().plus(TIMEOUT.multipliedBy(policy.retries() + 1L))).isLessThanOrEqualTo(policy.worstCase());
    }

    @Property(tries = 150)
    void createsRetryOnlyWhatMayPassAndEndRight(@ForAll("failures") List<Outcome> script,
                                                 @ForAll @IntRange(min = 0, max = 4) int retries) throws IOException {
        InMemoryStorage memory = new InMemoryStorage();
        ScriptedFaults faults = new ScriptedFaults(memory, Kind.CREATE, script);
        FakeTiming timing = new FakeTiming();
        RetryPolicy policy = policy(retries);
        Storage storage = new RetryingStorage(faults, policy, timing, RetryPolicy.Listener.QUIET);
        byte[] content = {1, 2, 3};

        // MIDWAY stores the object and loses the answer: a failure, the retry must find its own object
        int decides = deciding(script, retries + 1, true);
        if (decides < 0) {
            assertThatThrownBy(() -> storage.createIfAbsent(KEY, () -> new ByteArrayInputStream(content)))
                    .isInstanceOf(StorageFailure.class)
                    .satisfies(f -> assertThat(RetryPolicy.isTransient(f)).isTrue());
            assertThat(faults.calls.get()).isEqualTo(retries + 1);
        } else if (at(script, decides) == Outcome.PERMANENT) {
            assertThatThrownBy(() -> storage.createIfAbsent(KEY, () -> new ByteArrayInputStream(content)))
                    .isInstanceOfSatisfying(StorageFailure.class,
                            f -> assertThat(f.reason()).isEqualTo(StorageFailure.Reason.ACCESS_DENIED));
            assertThat(faults.calls.get()).as("never retried after a permanent failure").isEqualTo(decides + 1);
        } else {
            assertThat(storage.createIfAbsent(KEY, () -> new ByteArrayInputStream(content)))
                    .as("an upload that lost its answer is still ours").isTrue();
            assertThat(faults.calls.get()).isEqualTo(decides + 1);
            try (InputStream in = memory.read(KEY)) {
                assertThat(in.readAllBytes()).containsExactly(content);
            }
        }
        assertBounded(policy, timing, faults);
    }

    @Property(tries = 150)
    void aRetriedCreateThatFindsSomeoneElsesObjectSaysSo(@ForAll @IntRange(min = 1, max = 4) int transientFirst)
            throws IOException {
        InMemoryStorage memory = new InMemoryStorage();
        memory.createIfAbsent(KEY, new ByteArrayInputStream(new byte[] {9, 9}));
        List<Outcome> script = new ArrayList<>();
        for (int i = 0; i < transientFirst; i++) {
            script.add(Outcome.TRANSIENT);
        }
        Storage storage = new RetryingStorage(new ScriptedFaults(memory, Kind.CREATE, script), policy(4),
                new FakeTiming(), RetryPolicy.Listener.QUIET);
        assertThat(storage.createIfAbsent(KEY, () -> new ByteArrayInputStream(new byte[] {1, 2, 3}))).isFalse();
    }

    @Property(tries = 150)
    void readsResumeMidwayAndDeliverTheWholeObject(@ForAll("failures") List<Outcome> script,
                                                   @ForAll @IntRange(min = 0, max = 4) int retries,
                                                   @ForAll @Size(min = 1, max = 300) List<Byte> bytes) throws IOException {
        byte[] object = new byte[bytes.size()];
        for (int i = 0; i < object.length; i++) {
            object[i] = bytes.get(i);
        }
        InMemoryStorage memory = new InMemoryStorage();
        memory.createIfAbsent(KEY, new ByteArrayInputStream(object));
        ScriptedFaults faults = new ScriptedFaults(memory, Kind.READ, script);
        FakeTiming timing = new FakeTiming();
        RetryPolicy policy = policy(retries);
        Storage storage = new RetryingStorage(faults, policy, timing, RetryPolicy.Listener.QUIET);

        byte[] read = null;
        IOException failure = null;
        try (InputStream in = storage.read(KEY)) {
            read = in.readAllBytes();
        } catch (IOException e) {
            failure = e;
        }
        // a stream broken midway counts as one failed attempt of the same budget (it delivers one byte
        // first, so what has one byte left is whole before it breaks)
        int decides = decidingRead(script, retries + 1, object.length);
        if (decides >= 0 && at(script, decides) != Outcome.PERMANENT) {
            assertThat(failure).isNull();
            assertThat(read).containsExactly(object);
        } else if (decides >= 0) {
            assertThat(failure).isInstanceOf(StorageFailure.class);
            assertThat(((StorageFailure) failure).reason()).isEqualTo(StorageFailure.Reason.ACCESS_DENIED);
            assertThat(faults.calls.get()).isEqualTo(decides + 1);
        } else {
            assertThat(failure).as("retries spent").isNotNull().satisfies(f -> assertThat(RetryPolicy.isTransient(f)).isTrue());
        }
        assertBounded(policy, timing, faults);
    }

    @Property(tries = 150)
    void listStatAndDeleteRetryWithinTheBudget(@ForAll("failures") List<Outcome> script,
                                               @ForAll @IntRange(min = 0, max = 4) int retries,
                                               @ForAll("kinds") Kind kind) throws IOException {
        InMemoryStorage memory = new InMemoryStorage();
        memory.createIfAbsent(KEY, new ByteArrayInputStream(new byte[] {7}));
        ScriptedFaults faults = new ScriptedFaults(memory, kind, script);
        FakeTiming timing = new FakeTiming();
        RetryPolicy policy = policy(retries);
        Storage storage = new RetryingStorage(faults, policy, timing, RetryPolicy.Listener.QUIET);

        IOException failure = null;
        try {
            switch (kind) {
                case LIST -> {
                    try (Stream<ObjectInfo> listed = storage.list("wal_005/")) {
                        assertThat(listed.map(ObjectInfo::key)).containsExactly(KEY);
                    }
                }
                case STAT -> assertThat(storage.stat(KEY)).isPresent();
                default -> {
                    storage.delete(KEY);
                    assertThat(memory.stat(KEY)).isEmpty();
                }
            }
        } catch (IOException e) {
            failure = e;
        }
        int decides = deciding(script, retries + 1, false);
        if (decides >= 0 && at(script, decides) == Outcome.PERMANENT) {
            assertThat(failure).isInstanceOf(StorageFailure.class);
            assertThat(faults.calls.get()).as("never retried after a permanent failure").isEqualTo(decides + 1);
        } else if (decides >= 0) {
            assertThat(failure).isNull();
            assertThat(faults.calls.get()).isEqualTo(decides + 1);
        } else {
            assertThat(failure).isNotNull();
            assertThat(faults.calls.get()).isEqualTo(retries + 1);
        }
        assertBounded(policy, timing, faults);
    }

    @Provide
    Arbitrary<Kind> kinds() {
        return Arbitraries.of(Kind.LIST, Kind.STAT, Kind.DELETE);
    }

    @Property(tries = 100)
    void aTotalBudgetGoesOnUntilItIsSpentAndNoLonger(@ForAll @IntRange(min = 0, max = 3) int retries,
                                                     @ForAll @IntRange(min = 1, max = 600) int budgetSeconds) {
        FakeTiming timing = new FakeTiming();
        List<String> lines = new ArrayList<>();
        RetryPolicy policy = new RetryPolicy(retries, Duration.ofMillis(500), Duration.ofSeconds(15),
                Duration.ofSeconds(10), false, Duration.ofSeconds(budgetSeconds));
        ScriptedFaults faults = new ScriptedFaults(new InMemoryStorage(), Kind.STAT,
                java.util.Collections.nCopies(100_000, Outcome.TRANSIENT));
        Storage storage = new RetryingStorage(faults, policy, timing, RetryPolicy.Listener.lines(lines::add));

        assertThatThrownBy(() -> storage.stat(KEY)).isInstanceOf(StorageFailure.class);

        assertThat(timing.slept()).isGreaterThanOrEqualTo(Duration.ofSeconds(budgetSeconds))
                .isLessThanOrEqualTo(Duration.ofSeconds(budgetSeconds).plus(policy.maxDelay()));
        assertThat(timing.pauses).allSatisfy(p -> assertThat(p).isLessThanOrEqualTo(policy.maxDelay()));
        assertThat(lines).as("one line per retry").hasSize(faults.calls.get() - 1)
                .allSatisfy(line -> assertThat(line).startsWith("walstash: warning: stat " + KEY
                        + ": endpoint unreachable: connection refused; try "));
    }
}
