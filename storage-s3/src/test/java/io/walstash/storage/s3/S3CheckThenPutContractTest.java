package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The storage contract in check-then-put mode (for stores that ignore If-None-Match), against
 * s3proxy. Lists 100 keys a page so that pagination is exercised on fewer objects.
 */
class S3CheckThenPutContractTest extends StorageContractTest {
    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    @Override
    protected Storage newStorage() throws Exception {
        Map<String, String> settings = new HashMap<>(S3.settings());
        settings.put("WALSTASH_S3_CONDITIONAL_CREATE", "check-then-put");
        S3Config config = S3Config.from(Settings.of(settings)).withListPageSize(listPageSize());
        return S3Storage.open(S3Location.of(URI.create("s3://" + S3.newBucket() + "/repo")), config, builder -> { });
    }

    @Override
    protected int listPageSize() {
        return 100;
    }

    /** A quirk of s3proxy's filesystem store, see {@link S3ProxyQuirks#keyThatIsAlsoAPrefix}; AWS S3 allows both keys. */
    @Override
    @org.junit.jupiter.api.Test
    public void keyThatIsAlsoAPrefix() throws java.io.IOException {
        S3ProxyQuirks.keyThatIsAlsoAPrefix(storage());
    }

    /**
     * The quirk of check-then-put: racing creators that all find the key absent all upload, and
     * more than one may be told {@code true} (see S3Storage). What still holds: at least one
     * creator gets {@code true}, and the stored object is entirely one of theirs.
     */
    @Override
    @Test
    public void concurrentCreatorsOfOneKeyHaveExactlyOneWinner() throws Exception {
        int creators = concurrentCreators();
        for (int round = 0; round < 5; round++) {
            String key = "race/round-" + round;
            int size = round == 0 ? 256 * 1024 : 100 + round;
            CyclicBarrier start = new CyclicBarrier(creators);
            ExecutorService pool = Executors.newFixedThreadPool(creators);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < creators; i++) {
                    long seed = round * 100L + i;
                    results.add(pool.submit(() -> {
                        start.await(waitLimit().toMillis(), TimeUnit.MILLISECONDS);
                        return storage().createIfAbsent(key, pattern(size, seed));
                    }));
                }
                List<String> winnerDigests = new ArrayList<>();
                for (int i = 0; i < creators; i++) {
                    if (results.get(i).get(waitLimit().toMillis(), TimeUnit.MILLISECONDS)) {
                        winnerDigests.add(sha256(pattern(size, round * 100L + i)));
                    }
                }
                assertThat(winnerDigests).as("creators told true in round %d", round).isNotEmpty();
                assertThat(storage().stat(key)).get().extracting(ObjectInfo::size).isEqualTo((long) size);
                try (InputStream in = storage().read(key)) {
                    assertThat(sha256(in)).as("stored content is one winner's, entirely").isIn(winnerDigests);
                }
            } finally {
                pool.shutdownNow();
                assertThat(pool.awaitTermination(waitLimit().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            }
        }
    }
}
