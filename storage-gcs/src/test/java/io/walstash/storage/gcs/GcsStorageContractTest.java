package io.walstash.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageContractTest;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The storage contract against google-cloud-nio's in-memory fake of the GCS client
 * ({@link LocalStorageHelper}). The fake models the client's object model, not the service; where it
 * departs from GCS the contract test is overridden with one that asserts the fake's behaviour, so
 * that a change in the fake shows. {@link GcsHttpContractTest} runs the whole contract over HTTP.
 *
 * <p>{@code LocalStorageHelper.getOptions()} can't be used as it is: its fake throws
 * UnsupportedOperationException for any option on a single-request upload, and every create
 * carries {@code ifGenerationMatch=0} (see {@link #getOptionsFakeRefusesEveryCreate()}). The fake
 * from {@code customOptions(false)} is the same class with that check off; it then ignores the
 * precondition.
 */
class GcsStorageContractTest extends StorageContractTest {
    private static final int CHUNK = 8 << 20;
    /**
     * The fake builds an API client without an application name for every read, and the API client
     * warns each time; a real client has one. Held here so the setting isn't collected.
     */
    private static final Logger API_CLIENT_LOG = quiet("com.google.api.client.googleapis.services.AbstractGoogleClient");

    private static Logger quiet(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.SEVERE);
        return logger;
    }

    @Override
    protected Storage newStorage() {
        return storageOn(LocalStorageHelper.customOptions(false), CHUNK);
    }

    private static GcsStorage storageOn(StorageOptions fake, int chunkSize) {
        return new GcsStorage(new GcsLocation("fake-bucket", "repo/"), fake.getService(), chunkSize, Optional.empty());
    }

    @Test
    void getOptionsFakeRefusesEveryCreate() throws IOException {
        try (Storage strict = storageOn(LocalStorageHelper.getOptions(), CHUNK)) {
            assertThatThrownBy(() -> strict.createIfAbsent("k", stream("x")))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
    }

    /** Quirk: the fake ignores ifGenerationMatch=0 on single-request uploads, so a second create replaces the first. */
    @Override
    @Test
    public void createIfAbsentStoresOnceAndNeverOverwrites() throws IOException {
        assertThat(storage().createIfAbsent("wal/000000010000000000000001", stream("first"))).isTrue();
        assertThat(storage().createIfAbsent("wal/000000010000000000000001", stream("second, longer"))).isTrue();

        assertThat(readString("wal/000000010000000000000001")).isEqualTo("second, longer");
    }

    /** The contract's checks of an empty object, less the refused second create (see above). */
    @Override
    @Test
    public void emptyObjectRoundTrip() throws IOException {
        assertThat(storage().createIfAbsent("empty", InputStream.nullInputStream())).isTrue();

        assertThat(storage().stat("empty")).get().extracting(ObjectInfo::size).isEqualTo(0L);
        assertThat(readBytes("empty")).isEmpty();
        try (InputStream in = storage().readRange("empty", 0, 10)) {
            assertThat(in.readAllBytes()).isEmpty();
        }
        assertThat(keys("")).containsExactly("empty");
        assertThat(storage().createIfAbsent("empty", stream("not empty"))).as("quirk: overwritten").isTrue();
    }

    /** Quirk: without preconditions every racing creator "wins"; the last one's content stays, whole. */
    @Override
    @Test
    public void concurrentCreatorsOfOneKeyHaveExactlyOneWinner() throws Exception {
        List<String> contents = new ArrayList<>();
        for (int i = 0; i < concurrentCreators(); i++) {
            contents.add("content of creator " + i);
        }
        List<Boolean> results = new ArrayList<>();
        runConcurrently(concurrentCreators(), contents, content -> {
            boolean created = storage().createIfAbsent("race", stream(content));
            synchronized (results) {
                results.add(created);
            }
        });
        assertThat(results).hasSize(concurrentCreators()).containsOnly(true);
        assertThat(contents).contains(readString("race"));
    }

    /** Quirk: the fake has no batch endpoint; the batch deletes are covered over HTTP. */
    @Override
    @Test
    public void deleteAllRemovesBatchIncludingMissingKeys() throws IOException {
        storage().createIfAbsent("b/1", stream("1"));

        assertThatThrownBy(() -> storage().deleteAll(List.of("b/1")))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(keys("")).containsExactly("b/1");
    }

    /**
     * Quirk: the fake shows an object as soon as a resumable session opens, before it is finalised
     * (GCS doesn't; see the HTTP contract test). That is why this test uses 8 MiB chunks: every
     * object the contract writes half-way fits in one single-request upload.
     */
    @Test
    void fakeShowsAResumableUploadBeforeItIsFinalised() throws Exception {
        try (Storage small = storageOn(LocalStorageHelper.customOptions(false), 256 * 1024)) {
            CountDownLatch halfway = new CountDownLatch(1);
            CountDownLatch proceed = new CountDownLatch(1);
            InputStream paused = new PausingInputStream(pattern(700_000, 9), 600_000, halfway, proceed, Duration.ofSeconds(60));
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Boolean> create = pool.submit(() -> small.createIfAbsent("slow", paused));
                assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
                assertThat(small.stat("slow")).as("visible while half written").isPresent();
                proceed.countDown();
                assertThat(create.get(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                proceed.countDown();
                pool.shutdownNow();
            }
            assertThat(small.stat("slow")).get().extracting(ObjectInfo::size).isEqualTo(700_000L);
        }
    }
}
