package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.spool.PushResult;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A daemon's warm-up: storage opened before the first request, and a failed open tried again by the next call. */
@Timeout(60)
class WalServiceWarmUpTest {
    private static final RetryPolicy NO_RETRIES = new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(20));

    @TempDir
    Path pgWal;

    private final InMemoryStorage memory = new InMemoryStorage();
    private final AtomicInteger opens = new AtomicInteger();
    private final AtomicBoolean reachable = new AtomicBoolean();
    private final Codec codec = new DeflateTestCodec();

    private WalService service() {
        StorageOnFirstUse storage = new StorageOnFirstUse(StorageLocation.parse("file:///nowhere/repo"), () -> {
            opens.incrementAndGet();
            if (!reachable.get()) {
                throw new IOException("cannot reach storage: connection refused");
            }
            return memory;
        });
        WalArchive archive = new WalArchive(storage, codec, Codecs.of(List.of(codec)), "walstash test", Clock.systemUTC());
        return new WalService(archive, WalService.Mode.DAEMON, new WalService.PushOptions(1, 32, NO_RETRIES, Optional.empty()),
                warning -> { });
    }

    @Test
    void warmingUpOpensStorageOnceAndRequestsAfterItOpenNothing() throws IOException {
        reachable.set(true);
        try (WalService service = service()) {
            assertThat(opens).hasValue(0);
            service.warmUp();
            assertThat(opens).hasValue(1);

            Path segment = WalSegmentFiles.segment(pgWal, "000000010000000000000001", 7L, 1);
            assertThat(service.push(segment)).isInstanceOf(PushResult.Archived.class);
            assertThat(service.fetch("000000010000000000000001", pgWal.resolve("RECOVERYXLOG")))
                    .isInstanceOf(FetchResult.Fetched.class);
            assertThat(opens).hasValue(1);
        }
    }

    @Test
    void aWarmUpThatFailsLeavesTheOpenToTheNextRequest() throws IOException {
        try (WalService service = service()) {
            assertThatThrownBy(service::warmUp).hasMessageContaining("connection refused");
            assertThat(opens).hasValue(1);

            reachable.set(true);
            Path segment = WalSegmentFiles.segment(pgWal, "000000010000000000000001", 7L, 1);
            assertThat(service.push(segment)).isInstanceOf(PushResult.Archived.class);
            assertThat(opens).hasValue(2);
            assertThat(memory.stat("wal/000000010000000000000001." + codec.fileExtension())).isPresent();
        }
    }
}
