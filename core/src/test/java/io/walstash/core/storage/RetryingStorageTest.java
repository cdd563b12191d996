package io.walstash.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.storage.ScriptedFaults.Kind;
import io.walstash.core.storage.ScriptedFaults.Outcome;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RetryingStorageTest {
    private static final String KEY = "basebackups_005/b1/data.tar.zst";
    private final RetryingStoragePropertiesTest.FakeTiming timing = new RetryingStoragePropertiesTest.FakeTiming();

    @Test
    void aSlowAttemptIsAbandonedAtItsTimeoutAndTheNextOneAnswers() throws IOException {
        InMemoryStorage memory = new InMemoryStorage();
        memory.createIfAbsent(KEY, new ByteArrayInputStream(new byte[] {1}));
        ScriptedFaults faults = new ScriptedFaults(memory, Kind.STAT, List.of(Outcome.SLOW));
        RetryPolicy policy = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ofMillis(50));
        Storage storage = new RetryingStorage(faults, policy, timing, RetryPolicy.Listener.QUIET);

        long started = System.nanoTime();
        assertThat(storage.stat(KEY)).isPresent();

        assertThat(faults.calls).hasValue(2);
        // abandoned at 50 ms, not at the 30 s the slow answer would have taken
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void everyAttemptSlowEndsAsUnreachableNamingTheTimeout() {
        ScriptedFaults faults = new ScriptedFaults(new InMemoryStorage(), Kind.LIST, List.of(Outcome.SLOW, Outcome.SLOW));
        RetryPolicy policy = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ofMillis(30));
        Storage storage = new RetryingStorage(faults, policy, timing, RetryPolicy.Listener.QUIET);

        assertThatThrownBy(() -> storage.list("x/")).isInstanceOfSatisfying(StorageFailure.class, f -> {
            assertThat(f.reason()).isEqualTo(StorageFailure.Reason.UNREACHABLE);
            assertThat(f.getMessage()).contains("list x/ failed 2 times").contains("no answer within 30 ms")
                    .contains(CoreSettings.REQUEST_TIMEOUT.name());
        });
    }

    @Test
    void aStreamedCreateIsRetriedWhileNothingOfItWasSentButNotAfter() throws IOException {
        InMemoryStorage memory = new InMemoryStorage();
        RetryPolicy policy = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10));
        Storage refusedFirst = new RetryingStorage(new ScriptedFaults(memory, Kind.CREATE, List.of(Outcome.TRANSIENT)),
                policy, timing, RetryPolicy.Listener.QUIET);
        // not a ByteArrayInputStream: a stream that can be read once only
        InputStream once = new SequenceInputStream(new ByteArrayInputStream(new byte[] {1, 2}), InputStream.nullInputStream());
        assertThat(refusedFirst.createIfAbsent(KEY, once)).isTrue();
        assertThat(memory.read(KEY).readAllBytes()).containsExactly(1, 2);

        Storage resetAfterSending = new RetryingStorage(new ScriptedFaults(memory, Kind.CREATE, List.of(Outcome.MIDWAY)),
                policy, timing, RetryPolicy.Listener.QUIET);
        InputStream other = new SequenceInputStream(new ByteArrayInputStream(new byte[] {3}), InputStream.nullInputStream());
        assertThatThrownBy(() -> resetAfterSending.createIfAbsent("other", other))
                .hasMessageContaining("not tried again");
    }

    @Test
    void smallInMemoryContentIsRetriedAndAnAmbiguousCreateIsOurs() throws IOException {
        InMemoryStorage memory = new InMemoryStorage();
        ScriptedFaults faults = new ScriptedFaults(memory, Kind.CREATE, List.of(Outcome.MIDWAY));
        Storage storage = new RetryingStorage(faults, new RetryPolicy(2, Duration.ZERO, Duration.ZERO,
                Duration.ofSeconds(10)), timing, RetryPolicy.Listener.QUIET);

        // as BackupPush stores its manifest: the retry finds the manifest its first attempt stored
        assertThat(storage.createIfAbsent("basebackups_005/b1/manifest.json", new ByteArrayInputStream(new byte[] {5})))
                .isTrue();
        assertThat(faults.calls).hasValue(2);
    }

    @Test
    void theLayerIsAppliedOnceAndAViewUnderAnotherPolicyLeavesTheStorageOpen() throws IOException {
        boolean[] closed = {false};
        Storage raw = new ForwardingStorage(new InMemoryStorage()) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        RetryPolicy policy = RetryPolicy.from(io.walstash.core.config.Settings.of(java.util.Map.of(CoreSettings.RETRIES.name(), "5")));
        Storage storage = RetryingStorage.wrap(raw, policy);
        assertThat(RetryingStorage.wrap(storage, policy)).isSameAs(storage);
        assertThat(((RetryingStorage) storage).policy().retries()).isEqualTo(5);

        Storage view = RetryingStorage.withPolicy(storage, policy.withBudget(Duration.ofMinutes(5)), RetryPolicy.Listener.QUIET);
        assertThat(((RetryingStorage) view).policy().budget()).isEqualTo(Duration.ofMinutes(5));
        view.close();
        assertThat(closed[0]).isFalse();
        storage.close();
        assertThat(closed[0]).isTrue();
    }
}
