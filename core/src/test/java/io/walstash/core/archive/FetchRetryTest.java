package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.StorageFailure;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class FetchRetryTest {
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final FetchRetry retry = new FetchRetry(new InMemoryStorage(), 2, Duration.ofSeconds(10),
            Duration.ofMillis(5), Duration.ofSeconds(30), warnings::add);
    private final AtomicInteger tries = new AtomicInteger();

    @AfterEach
    void close() {
        retry.close();
    }

    /** Fails as storage that is down for the first {@code down} tries, then answers. */
    private FetchRetry.Attempt<String> downFor(int down) {
        return storage -> {
            if (tries.incrementAndGet() <= down) {
                throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
            }
            return "fetched";
        };
    }

    @Test
    void anOutageLongerThanTheTriesIsWaitedOutWithALinePerTry() throws IOException {
        assertThat(retry.callWaitingOutOutage("000000010000000000000007", downFor(6))).isEqualTo("fetched");

        assertThat(tries).hasValue(7);
        assertThat(warnings).hasSize(6).allSatisfy(line -> assertThat(line)
                .startsWith("walstash: warning: 000000010000000000000007: endpoint unreachable: connection refused; try ")
                .contains("waiting up to 30 s for storage, " + CoreSettings.FETCH_OUTAGE_WAIT.name()));
    }

    @Test
    void withoutWaitingTheOrdinaryTriesDecideSilently() {
        assertThatThrownBy(() -> retry.call("000000010000000000000007", downFor(6)))
                .isInstanceOf(StorageFailure.class);
        assertThat(tries).hasValue(2);
        assertThat(warnings).isEmpty();
    }

    @Test
    void theWaitIsBounded() {
        FetchRetry brief = new FetchRetry(new InMemoryStorage(), 1, Duration.ofSeconds(10), Duration.ofMillis(50),
                Duration.ofMillis(300), warnings::add);
        long started = System.nanoTime();
        try (brief) {
            assertThatThrownBy(() -> brief.callWaitingOutOutage("x", downFor(Integer.MAX_VALUE)))
                    .isInstanceOf(StorageFailure.class);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(tries.get()).isGreaterThan(1);
    }

    @Test
    void failuresThatNoWaitCuresAreNotWaitedFor() {
        assertThatThrownBy(() -> retry.callWaitingOutOutage("x", storage -> {
            tries.incrementAndGet();
            throw new AccessDeniedException("/repo/wal/x.zst");
        })).isInstanceOf(AccessDeniedException.class);
        assertThat(tries).hasValue(1);
    }

    @Test
    void aCorruptObjectIsDownloadedOnceMoreBeforeItCounts() throws IOException {
        String fetched = retry.call("x", storage -> {
            if (tries.incrementAndGet() == 1) {
                throw new CorruptObjectException("object wal/x.zst fails its checksum");
            }
            return "fetched";
        });
        assertThat(fetched).isEqualTo("fetched");

        tries.set(0);
        assertThatThrownBy(() -> retry.callWaitingOutOutage("x", storage -> {
            tries.incrementAndGet();
            throw new CorruptObjectException("object wal/x.zst fails its checksum");
        })).isInstanceOf(CorruptObjectException.class);
        assertThat(tries).as("one fresh download, then it counts").hasValue(2);
    }
}
