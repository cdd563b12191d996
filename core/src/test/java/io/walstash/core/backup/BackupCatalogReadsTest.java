package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One catalog reads each manifest once (resolving LATEST, then the delta chain), and still sees a backup being deleted. */
class BackupCatalogReadsTest {
    private final InMemoryStorage stored = new InMemoryStorage();
    private final Map<String, Integer> reads = new ConcurrentHashMap<>();
    private final ForwardingStorage counting = new ForwardingStorage(stored) {
        @Override
        public InputStream read(String key) throws IOException {
            reads.merge(key, 1, Integer::sum);
            return super.read(key);
        }
    };
    private BackupManifest full;
    private BackupManifest delta;
    private BackupManifest second;

    @BeforeEach
    void threeBackupsInAChain() throws IOException {
        WalSegmentSize size = WalSegmentSize.DEFAULT;
        Instant t = Instant.parse("2026-11-24T06:00:00Z");
        full = BackupFixtures.write(stored, size, 1, 2, 3, t, t.plusSeconds(60), null, false, 3);
        delta = BackupFixtures.write(stored, size, 1, 5, 6, t.plusSeconds(600), t.plusSeconds(660), full, false, 2);
        second = BackupFixtures.write(stored, size, 1, 8, 9, t.plusSeconds(1200), t.plusSeconds(1260), delta, false, 2);
    }

    private int manifestReads() {
        return reads.entrySet().stream().filter(e -> e.getKey().endsWith("/manifest.json")).mapToInt(Map.Entry::getValue).sum();
    }

    @Test
    void resolvingLatestAndItsChainReadsEachManifestOnce() throws IOException {
        BackupCatalog catalog = new BackupCatalog(counting);

        List<BackupManifest> chain = catalog.chain(catalog.resolve(BackupCatalog.LATEST));

        assertThat(chain).extracting(BackupManifest::name).containsExactly(full.name(), delta.name(), second.name());
        assertThat(reads).containsEntry(RepositoryLayout.manifestKey(full.name()), 1)
                .containsEntry(RepositoryLayout.manifestKey(delta.name()), 1)
                .containsEntry(RepositoryLayout.manifestKey(second.name()), 1);
        assertThat(manifestReads()).isEqualTo(3);
    }

    @Test
    void anotherCatalogReadsAgain() throws IOException {
        BackupCatalog first = new BackupCatalog(counting);
        first.chain(first.resolve(BackupCatalog.LATEST));
        BackupCatalog later = new BackupCatalog(counting);
        later.chain(later.resolve(BackupCatalog.LATEST));

        assertThat(manifestReads()).isEqualTo(6);
    }

    @Test
    void aBackupMarkedForDeletionAfterItWasReadIsRefusedByTheSameCatalog() throws IOException {
        BackupCatalog catalog = new BackupCatalog(counting);
        catalog.read(delta.name());
        stored.createIfAbsent(RepositoryLayout.deletedKey(delta.name()), new ByteArrayInputStream(new byte[0]));

        assertThatThrownBy(() -> catalog.chain(catalog.read(second.name())))
                .isInstanceOf(BackupCatalog.NoSuchBackupException.class).hasMessageContaining("is being deleted");
    }

    @Test
    void latestIsTheNewestByStartLsnNotByName() throws IOException {
        // timeline 2 sorts after timeline 1 by name, but starts earlier
        BackupManifest other = BackupFixtures.write(stored, WalSegmentSize.DEFAULT, 2, 4, 4,
                Instant.parse("2026-11-25T06:00:00Z"), Instant.parse("2026-11-25T06:01:00Z"), null, false, 1);
        assertThat(other.name().compareTo(second.name())).isPositive();

        assertThat(new BackupCatalog(counting).latest()).get().extracting(BackupManifest::name).isEqualTo(second.name());
    }

    /** Only the newest manifest and its chain are parsed whole: an older, unrelated one that is unsafe does not stand in the way. */
    @Test
    void resolvingLatestParsesOnlyTheChosenChainWhole() throws IOException {
        Instant t = Instant.parse("2026-11-20T06:00:00Z");
        BackupManifest old = BackupFixtures.write(new InMemoryStorage(), WalSegmentSize.DEFAULT, 1, 1, 1, t,
                t.plusSeconds(60), null, false, 1);
        String hostile = "base_000000010000000000000001";
        byte[] json = new String(old.toJson(), java.nio.charset.StandardCharsets.UTF_8)
                .replace("\"base/1/16384\"", "\"../../etc/passwd\"").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        stored.createIfAbsent(RepositoryLayout.manifestKey(hostile), new ByteArrayInputStream(ManifestDigest.seal(json)));

        assertThatThrownBy(() -> new BackupCatalog(counting).list()).isInstanceOf(UnsafeManifestException.class);
        BackupCatalog catalog = new BackupCatalog(counting);
        assertThat(catalog.chain(catalog.resolve(BackupCatalog.LATEST))).extracting(BackupManifest::name)
                .containsExactly(full.name(), delta.name(), second.name());
    }
}
