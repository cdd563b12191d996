package io.walstash.core.repository;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.PartialSegmentFileName;
import io.walstash.core.wal.SegmentFileName;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The WAL keys of the storage format: written and read back the same, and the format itself byte for byte. */
class WalKeyPropertiesTest {

    @Provide
    Arbitrary<WalKey> walKeys() {
        return RepositoryArbitraries.walKeys();
    }

    @Provide
    Arbitrary<String> anyKeys() {
        return net.jqwik.api.Arbitraries.oneOf(RepositoryArbitraries.foreignKeys(),
                RepositoryArbitraries.walKeys().map(WalKey::key),
                net.jqwik.api.Arbitraries.strings().ofMaxLength(40));
    }

    @Property
    void everyKeyWalstashOrWalGWritesReadsBackAsWritten(@ForAll("walKeys") WalKey written) {
        assertThat(WalKey.parse(written.key())).contains(written);
    }

    @Property
    void aKeyThatParsesIsTheFormatOfWhatItParsedTo(@ForAll("anyKeys") String key) {
        Optional<WalKey> parsed = WalKey.parse(key);
        parsed.ifPresent(k -> {
            assertThat(k.key()).isEqualTo(key);
            assertThat(WalKey.format(k.folder(), k.name().fileName(), k.extension())).isEqualTo(key);
        });
    }

    @Property
    void keysOutsideTheWalFoldersOrInASubFolderAreNoWalObjects(@ForAll("anyKeys") String key) {
        if (!key.startsWith("wal/") && !key.startsWith("wal_005/")
                || key.substring(key.indexOf('/') + 1).contains("/")) {
            assertThat(WalKey.parse(key)).isEmpty();
        }
    }

    @Example
    void theWalKeysOfLayoutVersionOneAreUnchanged() {
        DeflateTestCodec codec = new DeflateTestCodec();
        assertThat(RepositoryLayout.walKey("000000010000000000000001", codec)).isEqualTo("wal/000000010000000000000001.dft");
        assertThat(RepositoryLayout.walKey("00000002.history", codec)).isEqualTo("wal/00000002.history.dft");
        assertThat(WalFolder.WALSTASH.keyPrefix("000000010000000000000001")).isEqualTo("wal/000000010000000000000001.");
        assertThat(WalFolder.WALG.keyPrefix("000000010000000000000001")).isEqualTo("wal_005/000000010000000000000001.");
        assertThat(RepositoryMarker.KEY).isEqualTo("walstash-repository.properties");
    }

    @Example
    void everyKindOfWalFileIsReadFromBothLayouts() {
        SegmentFileName one = SegmentFileName.parse("000000010000000000000001");
        assertThat(WalKey.parse("wal/000000010000000000000001.zst"))
                .contains(new WalKey("wal/000000010000000000000001.zst", WalFolder.WALSTASH, one, "zst"));
        assertThat(WalKey.parse("wal_005/000000010000000000000001.lz4").orElseThrow().walg()).isTrue();
        // WAL-G may store a file bare; a bare .partial is a partial segment, not segment X with an extension
        assertThat(WalKey.parse("wal_005/000000010000000000000001"))
                .contains(new WalKey("wal_005/000000010000000000000001", WalFolder.WALG, one, ""));
        assertThat(WalKey.parse("wal/000000010000000000000001.partial").orElseThrow().name())
                .isEqualTo(new PartialSegmentFileName(one));
        assertThat(WalKey.parse("wal/000000010000000000000001.partial.zst").orElseThrow().extension()).isEqualTo("zst");
        assertThat(WalKey.parse("wal/00000002.history.br").orElseThrow().name()).isEqualTo(new HistoryFileName(2));
        assertThat(WalKey.parse("wal/000000010000000000000001.00000028.backup.gz").orElseThrow().name())
                .isEqualTo(new BackupHistoryFileName(one, 0x28));
        for (String foreign : List.of("wal/README", "wal/.zst", "wal/sub/000000010000000000000001.zst",
                "wal/00000001000000000000000.zst", "wal/000000000000000000000001.zst", "wal_004/000000010000000000000001.zst",
                "backups/000000010000000000000001.zst", "wal/000000010000000000000001.zst/x")) {
            assertThat(WalKey.parse(foreign)).as(foreign).isEmpty();
        }
    }

    @Example
    void aCodecIsKnownByItsExtensionOnly() {
        Codecs codecs = Codecs.of(List.of(new DeflateTestCodec()));
        assertThat(WalKey.parse("wal/000000010000000000000001.dft").orElseThrow().codec(codecs)).isPresent();
        assertThat(WalKey.parse("wal/000000010000000000000001.zst").orElseThrow().codec(codecs)).isEmpty();
        assertThat(WalKey.parse("wal_005/000000010000000000000001").orElseThrow().codec(codecs)).isEmpty();
    }

    @Example
    void theBackupKeysOfLayoutVersionOneAreUnchanged() {
        DeflateTestCodec codec = new DeflateTestCodec();
        String name = "base_000000010000000000000002";
        assertThat(RepositoryLayout.backupFolder(name)).isEqualTo("backups/" + name + "/");
        assertThat(RepositoryLayout.manifestKey(name)).isEqualTo("backups/" + name + "/manifest.json");
        assertThat(RepositoryLayout.permanentKey(name)).isEqualTo("backups/" + name + "/permanent");
        assertThat(RepositoryLayout.deletedKey(name)).isEqualTo("backups/" + name + "/deleted");
        assertThat(RepositoryLayout.claimKey(name)).isEqualTo("backups/" + name + "/claim");
        assertThat(RepositoryLayout.backupFileKey(name, "base/1/16384", false, codec))
                .isEqualTo("backups/" + name + "/files/base/1/16384.dft");
        assertThat(RepositoryLayout.backupFileKey(name, "base/1/16384", true, codec))
                .isEqualTo("backups/" + name + "/files/base/1/16384.delta.dft");
    }

    @Property
    void everyBackupKeyNamesItsFolder(@ForAll("backupNames") String name, @ForAll("backupLeaves") String leaf) {
        assertThat(RepositoryLayout.backupOf(RepositoryLayout.backupFolder(name) + leaf)).contains(name);
        assertThat(RepositoryLayout.backupOf(RepositoryLayout.manifestKey(name))).contains(name);
    }

    @Provide
    Arbitrary<String> backupNames() {
        return net.jqwik.api.Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars('_', '-')
                .ofMinLength(1).ofMaxLength(40);
    }

    @Provide
    Arbitrary<String> backupLeaves() {
        return net.jqwik.api.Arbitraries.strings().withCharRange('a', 'z').withChars('/', '.').ofMaxLength(30);
    }

    @Example
    void keysOutsideABackupFolderNameNoBackup() {
        for (String key : List.of("backups/", "backups//x", "backups/loose", "wal/x/y", "backupsx/a/b")) {
            assertThat(RepositoryLayout.backupOf(key)).as(key).isEmpty();
        }
    }
}
