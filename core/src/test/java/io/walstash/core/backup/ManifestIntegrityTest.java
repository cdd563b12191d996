package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.crypto.EncryptedStorage;
import io.walstash.core.crypto.MasterKey;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A manifest's own checksum (issue 12's fault campaign: a restore read a manifest with a byte
 * flipped on the way and failed with "Invalid UTF-8 middle byte"; a flip that still parses would
 * have been restored from). Damage at rest is a corrupt object naming the backup; damage on the
 * way is read again by the retry layer.
 */
class ManifestIntegrityTest {
    private static final RetryPolicy QUICK = new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(30));
    private final InMemoryStorage raw = new InMemoryStorage();
    private final FlipsOnce network = new FlipsOnce(raw);
    private final Storage storage = RetryingStorage.wrap(network, QUICK);

    private BackupManifest backup() throws IOException {
        return BackupFixtures.write(raw, WalSegmentSize.DEFAULT, 1, 2, 3, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:01:00Z"), null, false, 3);
    }

    @Test
    void aByteFlippedAtRestThatStillParsesIsACorruptObjectNamingTheBackup() throws IOException {
        BackupManifest backup = backup();
        String key = RepositoryLayout.manifestKey(backup.name());
        String text = new String(raw.bytes(key), StandardCharsets.UTF_8);
        // one file's path changed by one byte: valid JSON, a valid path, another file restored
        raw.corrupt(key, text.replace("\"base/1/16385\"", "\"base/1/16395\"").getBytes(StandardCharsets.UTF_8));
        network.flip(key, -1, 0); // counts the reads, flips nothing

        assertThatThrownBy(() -> new BackupCatalog(storage).read(backup.name()))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageStartingWith("backup " + backup.name() + ": " + key + " fails its checksum")
                .hasMessageNotContaining("\n");
        assertThat(network.reads.get()).as("read once more before it counts").isEqualTo(2);
        assertThatThrownBy(() -> new BackupCatalog(storage).list()).isInstanceOf(CorruptObjectException.class);
    }

    @Test
    void aByteFlippedOnTheWayIsReadAgain() throws IOException {
        BackupManifest backup = backup();
        String key = RepositoryLayout.manifestKey(backup.name());
        // as the campaign saw it: a byte that makes the JSON invalid UTF-8
        network.flip(key, new String(raw.bytes(key), StandardCharsets.UTF_8).indexOf("base/1/16384"), 0xC3);
        assertThat(new BackupCatalog(storage).read(backup.name())).isEqualTo(backup);
        assertThat(network.reads.get()).isEqualTo(2);

        // and one that still parses: the digit of a path
        network.flip(key, new String(raw.bytes(key), StandardCharsets.UTF_8).indexOf("16385") + 4, '6');
        assertThat(new BackupCatalog(storage).list()).singleElement().satisfies(b -> assertThat(b.manifest()).isEqualTo(backup));
    }

    @Test
    void anEncryptedBackupsContentFlippedOnTheWayIsReadAgain() throws IOException {
        Storage encrypted = RetryingStorage.wrap(EncryptedStorage.over(network, Optional.of(MasterKey.generate()),
                Clock.systemUTC()), QUICK);
        BackupManifest backup = backup();
        raw.delete(RepositoryLayout.manifestKey(backup.name()));
        String contentKey = RepositoryLayout.contentKey(backup.name());
        encrypted.createIfAbsent(contentKey, new ByteArrayInputStream(backup.toStoredContent()));
        encrypted.createIfAbsent(RepositoryLayout.manifestKey(backup.name()),
                new ByteArrayInputStream(backup.catalogOnly().toStoredJson()));
        // the stored byte inverted: a fixed value would be no flip at all when the (random) ciphertext holds it
        int middle = raw.bytes(contentKey).length / 2;
        network.flip(contentKey, middle, raw.bytes(contentKey)[middle] ^ 0xFF);

        assertThat(new BackupCatalog(encrypted).read(backup.name())).isEqualTo(backup);
        assertThat(network.reads.get()).isEqualTo(2);
    }

    @Test
    void everySingleFlippedByteIsFound() throws IOException {
        BackupManifest backup = backup();
        byte[] stored = backup.toStoredJson();
        assertThat(BackupManifest.parse(stored)).isEqualTo(backup);
        for (int i = 0; i < stored.length; i++) {
            for (int mask : new int[] {0x01, 0x80}) {
                byte[] damaged = stored.clone();
                damaged[i] ^= (byte) mask;
                String where = "byte " + i + " xor " + mask;
                // the checksum's own field too: a damaged field never reads as a manifest without one
                assertThatThrownBy(() -> BackupManifest.parse(damaged, "m")).as(where)
                        .isInstanceOf(CorruptObjectException.class).hasMessageStartingWith("m ");
            }
        }
    }

    @Test
    void manifestsWrittenWithoutAChecksumStillRead() throws IOException {
        BackupManifest backup = backup();
        String key = RepositoryLayout.manifestKey(backup.name());
        raw.corrupt(key, backup.toJson()); // as walstash wrote them before the checksum
        assertThat(new BackupCatalog(storage).read(backup.name())).isEqualTo(backup);
        assertThat(new String(backup.toStoredJson(), StandardCharsets.UTF_8))
                .startsWith("{\n  \"manifestSha256\" : \"").contains("\"formatVersion\"");
    }

    /** The network between walstash and storage: flips one byte of the next read of one object. */
    private static final class FlipsOnce extends ForwardingStorage {
        final AtomicInteger reads = new AtomicInteger();
        private String key;
        private int at;
        private int value;

        FlipsOnce(Storage delegate) {
            super(delegate);
        }

        synchronized void flip(String key, int at, int value) {
            this.key = key;
            this.at = at;
            this.value = value;
            reads.set(0);
        }

        @Override
        public synchronized InputStream read(String key) throws IOException {
            InputStream in = super.read(key);
            if (!key.equals(this.key)) {
                return in;
            }
            reads.incrementAndGet();
            byte[] bytes = in.readAllBytes();
            if (reads.get() == 1 && at >= 0) {
                bytes[at] = (byte) value;
            }
            return new ByteArrayInputStream(bytes);
        }
    }
}
