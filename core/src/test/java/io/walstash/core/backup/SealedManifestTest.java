package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.crypto.EncryptedStorage;
import io.walstash.core.crypto.EncryptionKeyException;
import io.walstash.core.crypto.MasterKey;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** An encrypted backup's manifest: a clear catalog, its content encrypted and bound to it. */
class SealedManifestTest {
    private final InMemoryStorage raw = new InMemoryStorage();
    private final MasterKey master = MasterKey.generate();
    private final Storage storage = EncryptedStorage.over(raw, Optional.of(master), Clock.systemUTC());

    /** Stores {@code manifest} as BackupPush does in an encrypted repository. */
    private void seal(BackupManifest manifest) throws IOException {
        raw.delete(RepositoryLayout.manifestKey(manifest.name()));
        storage.createIfAbsent(RepositoryLayout.contentKey(manifest.name()), new ByteArrayInputStream(manifest.toStoredContent()));
        storage.createIfAbsent(RepositoryLayout.manifestKey(manifest.name()), new ByteArrayInputStream(manifest.catalogOnly().toJson()));
    }

    /** A backup of {@code files} files whose objects are stored and whose manifest is not (yet). */
    private BackupManifest unsealedBackup(int files) throws IOException {
        BackupManifest backup = BackupFixtures.write(raw, WalSegmentSize.DEFAULT, 1, 2, 3, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:01:00Z"), null, false, files);
        raw.delete(RepositoryLayout.manifestKey(backup.name()));
        return backup;
    }

    @Test
    void theCatalogHoldsNoFileNameAndReadsBackWhole() throws IOException {
        BackupManifest full = BackupFixtures.write(raw, WalSegmentSize.DEFAULT, 1, 2, 3, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:01:00Z"), null, false, 3);
        seal(full);
        String catalog = new String(raw.bytes(RepositoryLayout.manifestKey(full.name())), StandardCharsets.UTF_8);
        assertThat(catalog).doesNotContain("base/1").doesNotContain("START WAL LOCATION").contains(full.stopLsn());

        BackupCatalog backups = new BackupCatalog(storage);
        assertThat(backups.read(full.name())).isEqualTo(full);
        assertThat(backups.list()).singleElement().satisfies(b -> assertThat(b.manifest()).isEqualTo(full));

        BackupCatalog keyless = new BackupCatalog(EncryptedStorage.over(raw, Optional.empty(), Clock.systemUTC()));
        assertThat(keyless.list()).singleElement().satisfies(b -> {
            assertThat(b.manifest().sealed()).isTrue();
            assertThat(b.manifest().files()).isEmpty();
            assertThat(b.manifest().stopLsn()).isEqualTo(full.stopLsn());
        });
        assertThatThrownBy(() -> keyless.content(keyless.list().get(0).manifest())).isInstanceOf(EncryptionKeyException.class);
    }

    @Test
    void theContentIsStoredDeflatedAndTheCatalogSaysSo() throws IOException {
        BackupManifest full = BackupFixtures.write(raw, WalSegmentSize.DEFAULT, 1, 2, 3, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:01:00Z"), null, false, 200);
        byte[] deflated = full.toStoredContent();
        assertThat(deflated.length).isLessThan(full.toStoredJson().length / 4);
        assertThat(BackupManifest.parseStoredContent(new ByteArrayInputStream(deflated), BackupCatalog.MAX_MANIFEST_BYTES,
                "content")).isEqualTo(full);
        assertThat(full.catalogOnly().formatVersion()).isEqualTo(BackupManifest.FORMAT_SEALED_DEFLATED);
        assertThat(full.catalogOnly().sealed()).isTrue();
    }

    @Test
    void aBackupWhoseContentIsTheJsonAsItIsStillReads() throws IOException {
        // what walstash wrote before format 6: catalog format 3, content.json the stored JSON undeflated
        BackupManifest full = unsealedBackup(3);
        storage.createIfAbsent(RepositoryLayout.contentKey(full.name()), new ByteArrayInputStream(full.toStoredJson()));
        String catalog = new String(full.catalogOnly().toJson(), StandardCharsets.UTF_8);
        assertThat(catalog).contains("\"formatVersion\" : " + BackupManifest.FORMAT_SEALED_DEFLATED + ",");
        catalog = catalog.replace("\"formatVersion\" : " + BackupManifest.FORMAT_SEALED_DEFLATED + ",",
                "\"formatVersion\" : " + BackupManifest.FORMAT_SEALED + ",");
        storage.createIfAbsent(RepositoryLayout.manifestKey(full.name()),
                new ByteArrayInputStream(catalog.getBytes(StandardCharsets.UTF_8)));

        assertThat(new BackupCatalog(storage).read(full.name())).isEqualTo(full);
    }

    @Test
    void contentThatDoesNotInflateOrInflatesPastTheLimitIsRefused() throws IOException {
        BackupManifest full = unsealedBackup(3);
        // encrypted under its own name (so it decrypts), but not zlib: the stored JSON undeflated
        storage.createIfAbsent(RepositoryLayout.contentKey(full.name()), new ByteArrayInputStream(full.toStoredJson()));
        storage.createIfAbsent(RepositoryLayout.manifestKey(full.name()), new ByteArrayInputStream(full.catalogOnly().toJson()));
        assertThatThrownBy(() -> new BackupCatalog(storage).read(full.name())).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(RepositoryLayout.contentKey(full.name())).hasMessageContaining("does not decode as zlib");

        byte[] deflated = full.toStoredContent();
        assertThatThrownBy(() -> BackupManifest.parseStoredContent(new ByteArrayInputStream(deflated), 1000, "content.json"))
                .isInstanceOf(UnsafeManifestException.class).hasMessage("content.json inflates to more than 1000 bytes");
    }

    @Test
    void contentSwappedInFromAnotherBackupIsRefused() throws IOException {
        BackupManifest first = BackupFixtures.write(raw, WalSegmentSize.DEFAULT, 1, 2, 3, Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:01:00Z"), null, false, 2);
        BackupManifest second = BackupFixtures.write(raw, WalSegmentSize.DEFAULT, 1, 5, 6, Instant.parse("2026-12-01T01:00:00Z"),
                Instant.parse("2026-12-01T01:01:00Z"), null, false, 2);
        seal(first);
        seal(second);
        // the bytes of one content object under the other's name: they do not decrypt there
        raw.corrupt(RepositoryLayout.contentKey(second.name()), raw.bytes(RepositoryLayout.contentKey(first.name())));
        assertThatThrownBy(() -> new BackupCatalog(storage).read(second.name())).isInstanceOf(CorruptObjectException.class);
    }
}
