package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.io.Digests;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A backup's file whose upload fails after part of it was sent is read again and uploaded whole
 * (it used to fail the backup: a stream cannot be read twice), and what the manifest records is
 * what the attempt that stored the object read, even when the file changed in between (as data
 * files do during a backup).
 */
@Timeout(30)
class StoredObjectsRetryTest {
    private final Codec codec = new DeflateTestCodec();

    @Test
    void anUploadResetMidwayIsReadAgainAndRecordsWhatWasStored() throws IOException {
        byte[] first = bytes(1, 300_000);
        byte[] second = bytes(2, 310_000); // the file changed between the attempts
        AtomicInteger opened = new AtomicInteger();
        Storage.Content file = () -> new ByteArrayInputStream(opened.incrementAndGet() == 1 ? first : second);
        InMemoryStorage memory = new InMemoryStorage();
        Storage storage = new RetryingStorage(new ResetAfterSending(memory, 1000),
                new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10)),
                RetryPolicy.Timing.SYSTEM, RetryPolicy.Listener.QUIET);

        for (long partSize : List.of(Long.MAX_VALUE, 64 * 1024L)) {
            opened.set(0);
            String key = "backups/b/files/base/1/" + partSize + ".dft";
            StoredObjects.Stored stored = StoredObjects.put(storage, key, file, codec, partSize);

            assertThat(opened).as("read again after the reset").hasValue(2);
            assertThat(stored.plainSize()).isEqualTo(second.length);
            assertThat(stored.storedSize()).isEqualTo(memory.bytes(key).length);
            if (stored.parts() == null) {
                // the checksum is over the bytes stored, as the attempt that stored them wrote them
                assertThat(stored.hashed()).isEqualTo(BackupManifest.HashedBytes.STORED);
                assertThat(stored.sha256()).isEqualTo(HexFormat.of().formatHex(Digests.sha256().digest(memory.bytes(key))));
            }
            BackupManifest.FileEntry entry = new BackupManifest.FileEntry("f", second.length, 0600, 0, false, key,
                    stored.sha256(), stored.hashed(), stored.plainSize(), stored.storedSize(), null, stored.parts());
            try (InputStream in = StoredObjects.open(memory, Codecs.of(List.of(codec)), entry)) {
                assertThat(in.readAllBytes()).as("checked against the manifest's record").isEqualTo(second);
            }
        }
    }

    @Test
    void aBackupFilesUploadHasNoPerAttemptTimeLimitWhereOtherContentHas() throws IOException {
        Storage slowLink = new ForwardingStorage(new InMemoryStorage()) {
            @Override
            public boolean createIfAbsent(String key, InputStream content) throws IOException {
                try {
                    Thread.sleep(300); // a slow link: the upload takes longer than one attempt may
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("abandoned");
                }
                return super.createIfAbsent(key, content);
            }
        };
        Storage storage = new RetryingStorage(slowLink, new RetryPolicy(0, Duration.ZERO, Duration.ZERO,
                Duration.ofMillis(100)), RetryPolicy.Timing.SYSTEM, RetryPolicy.Listener.QUIET);

        Storage.LargeContent file = () -> new ByteArrayInputStream(new byte[] {1});
        assertThat(storage.createIfAbsent("backups/b/files/f.dft", file)).isTrue();
        Storage.Content small = () -> new ByteArrayInputStream(new byte[] {2});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> storage.createIfAbsent("wal/x", small))
                .isInstanceOf(StorageFailure.class).hasMessageContaining("no answer within 100 ms");
    }

    private static byte[] bytes(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Reads {@code sent} bytes of the first upload of each key, then fails it as a reset connection; stores nothing. */
    private static final class ResetAfterSending extends ForwardingStorage {
        private final int sent;
        private final java.util.Set<String> failed = new java.util.HashSet<>();

        ResetAfterSending(Storage delegate, int sent) {
            super(delegate);
            this.sent = sent;
        }

        @Override
        public boolean createIfAbsent(String key, InputStream content) throws IOException {
            if (failed.add(key)) {
                content.readNBytes(sent);
                throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection reset while sending " + key);
            }
            return super.createIfAbsent(key, content);
        }
    }
}
