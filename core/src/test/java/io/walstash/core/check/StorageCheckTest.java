package io.walstash.core.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StorageCheckTest {
    private final List<String> events = new ArrayList<>();
    private final StorageCheck check = new StorageCheck(new StorageCheck.Listener() {
        @Override
        public void passed(StorageCheck.Step step, Duration took) {
            events.add("passed " + step);
        }

        @Override
        public void failed(StorageCheck.Step step) {
            events.add("failed " + step);
        }

        @Override
        public void bucket(Optional<Boolean> created) {
            events.add("bucket " + created);
        }

        @Override
        public void uploadCleanup(UploadCleanup cleanup) {
            events.add("cleanup " + cleanup);
        }

        @Override
        public void versioning(Versioning versioning) {
            events.add("versioning " + versioning);
        }
    });

    private static WalArchive archive(Storage storage) {
        DeflateTestCodec codec = new DeflateTestCodec();
        return new WalArchive(storage, codec, Codecs.of(List.of(codec)), "walstash test", Clock.systemUTC());
    }

    @Test
    void aWorkingStoragePassesEveryStepAndKeepsNoProbe() throws IOException {
        InMemoryStorage storage = new InMemoryStorage();
        StorageCheck.Passed passed = check.run(() -> archive(storage), true);

        assertThat(passed.marker()).isEmpty();
        assertThat(events).containsExactly("passed OPEN", "bucket Optional.empty", "passed WRITE_PROBE", "passed READ_BACK",
                "passed LIST", "passed DELETE", "passed CONFIRM_DELETED", "passed READ_MARKER");
        try (var left = storage.list(StorageCheck.PROBE_PREFIX)) {
            assertThat(left).isEmpty();
        }
    }

    /** A bucket whose set-up calls fail as a store without lifecycle rules or versioning would. */
    private static final class RefusingBucket extends ForwardingStorage implements CreatesBucket {
        final List<Integer> days = new ArrayList<>();

        RefusingBucket(Storage storage) {
            super(storage);
        }

        @Override
        public boolean createBucketIfMissing() {
            return false;
        }

        @Override
        public UploadCleanup abortIncompleteUploads(int days) throws IOException {
            this.days.add(days);
            throw new IOException("set the lifecycle rule: service error NotImplemented");
        }

        @Override
        public Versioning versioning() throws IOException {
            throw new IOException("read versioning: access denied");
        }
    }

    @Test
    void aBucketThatRefusesItsSetUpIsReportedAndTheCheckStillPasses() throws IOException {
        RefusingBucket storage = new RefusingBucket(new InMemoryStorage());
        StorageCheck.Passed passed = check.run(() -> archive(storage), true);

        assertThat(passed.marker()).isEmpty();
        assertThat(storage.days).containsExactly(StorageCheck.ABORT_INCOMPLETE_UPLOADS_DAYS);
        assertThat(events).containsExactly("passed OPEN", "passed CREATE_BUCKET", "bucket Optional[false]",
                "cleanup Refused[reason=set the lifecycle rule: service error NotImplemented]",
                "versioning Versioning[state=UNKNOWN, detail=read versioning: access denied]",
                "passed WRITE_PROBE", "passed READ_BACK", "passed LIST", "passed DELETE", "passed CONFIRM_DELETED",
                "passed READ_MARKER");
    }

    @Test
    void aStorageThatReturnsOtherBytesFailsAtReadBackAndStillDeletesTheProbe() throws IOException {
        InMemoryStorage storage = new InMemoryStorage();
        Storage lying = new ForwardingStorage(storage) {
            @Override
            public InputStream read(String key) {
                return new ByteArrayInputStream(new byte[StorageCheck.PROBE_SIZE]);
            }
        };

        assertThatThrownBy(() -> check.run(() -> archive(lying), false))
                .isInstanceOf(IOException.class).hasMessageContaining("read back different bytes");
        assertThat(events).containsExactly("passed OPEN", "passed WRITE_PROBE", "passed READ_BACK", "passed DELETE");
        try (var left = storage.list(StorageCheck.PROBE_PREFIX)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aFailingStepIsReportedAsFailedAndItsFailureThrown() {
        Storage refusing = new ForwardingStorage(new InMemoryStorage()) {
            @Override
            public boolean createIfAbsent(String key, InputStream content) throws IOException {
                throw new java.nio.file.AccessDeniedException(key);
            }
        };

        assertThatThrownBy(() -> check.run(() -> archive(refusing), false)).isInstanceOf(java.nio.file.AccessDeniedException.class);
        assertThat(events).containsExactly("passed OPEN", "failed WRITE_PROBE");
    }
}
