package io.walstash.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.repository.ClearObjects;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EncryptedStorageTest {
    private static final String WAL = "wal/000000010000000000000001.zst";
    private static final String OTHER = "wal/000000010000000000000002.zst";
    private final InMemoryStorage raw = new InMemoryStorage();
    private final MasterKey master = MasterKey.generate();

    private Storage with(Optional<MasterKey> key) {
        return EncryptedStorage.over(raw, key, Clock.systemUTC());
    }

    private static byte[] data(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] read(Storage storage, String key) throws IOException {
        try (InputStream in = storage.read(key)) {
            return in.readAllBytes();
        }
    }

    @Test
    void contentIsStoredEncryptedAndReadBackWhileCatalogObjectsStayClear() throws IOException {
        Storage storage = with(Optional.of(master));
        byte[] plain = "a unique marker 7f3a in a WAL record".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        assertThat(storage.createIfAbsent(WAL, () -> new ByteArrayInputStream(plain))).isTrue();
        storage.createIfAbsent(RepositoryLayout.manifestKey("base_1"), new ByteArrayInputStream("{}".getBytes()));

        assertThat(new String(raw.bytes(WAL), StandardCharsets.ISO_8859_1)).doesNotContain("marker 7f3a");
        assertThat(read(storage, WAL)).isEqualTo(plain);
        assertThat(raw.bytes(RepositoryLayout.manifestKey("base_1"))).isEqualTo("{}".getBytes());
        assertThat(RepositoryLayout.keyringGenerations(raw)).containsExactly(1L);
    }

    @Test
    void aFlippedByteATruncationOrASwapIsACorruptObject() throws IOException {
        Storage storage = with(Optional.of(master));
        byte[] plain = data(200_000, 1);
        storage.createIfAbsent(WAL, () -> new ByteArrayInputStream(plain));
        storage.createIfAbsent(OTHER, () -> new ByteArrayInputStream(data(200_000, 2)));
        byte[] stored = raw.bytes(WAL);

        byte[] flipped = stored.clone();
        flipped[stored.length / 2] ^= 0x01;
        raw.corrupt(WAL, flipped);
        assertThatThrownBy(() -> read(storage, WAL)).isInstanceOf(CorruptObjectException.class).hasMessageContaining(WAL);

        raw.corrupt(WAL, Arrays.copyOf(stored, stored.length - 100));
        assertThatThrownBy(() -> read(storage, WAL)).isInstanceOf(CorruptObjectException.class).hasMessageContaining(WAL);

        raw.corrupt(WAL, raw.bytes(OTHER)); // another object of the same repository, same data key
        assertThatThrownBy(() -> read(storage, WAL)).isInstanceOf(CorruptObjectException.class).hasMessageContaining(WAL);

        raw.corrupt(WAL, stored);
        assertThat(read(storage, WAL)).isEqualTo(plain);
    }

    @Test
    void rangeReadsDecryptOnlyTheirSegmentsAndMatchThePlainBytes() throws IOException {
        Storage storage = with(Optional.of(master));
        byte[] plain = data(1_000_000, 3);
        storage.createIfAbsent(WAL, () -> new ByteArrayInputStream(plain));
        for (long[] range : new long[][] {{0, 10}, {65_470, 100}, {300_001, 400_000}, {999_990, 100}}) {
            try (InputStream in = storage.readRange(WAL, range[0], range[1])) {
                int end = (int) Math.min(plain.length, range[0] + range[1]);
                assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(plain, (int) range[0], end));
            }
        }
        byte[] flipped = raw.bytes(WAL);
        flipped[flipped.length - 5] ^= 0x01;
        raw.corrupt(WAL, flipped);
        assertThatThrownBy(() -> storage.readRange(WAL, 999_000, 1000).readAllBytes())
                .isInstanceOf(CorruptObjectException.class);
    }

    @Test
    void withoutTheKeyOrWithAWrongOneContentIsRefusedInOneLine() throws IOException {
        with(Optional.of(master)).createIfAbsent(WAL, () -> new ByteArrayInputStream(data(10, 4)));

        assertThatThrownBy(() -> read(with(Optional.empty()), WAL)).isInstanceOf(EncryptionKeyException.class)
                .hasMessageContaining("is encrypted").hasMessageContaining("WALSTASH_ENCRYPTION_KEY_FILE");
        assertThatThrownBy(() -> with(Optional.empty()).createIfAbsent(OTHER, () -> new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(EncryptionKeyException.class).hasMessageContaining("is encrypted (it holds a keyring)");
        assertThat(raw.keys()).doesNotContain(OTHER);
        assertThatThrownBy(() -> read(with(Optional.of(MasterKey.generate())), WAL))
                .isInstanceOf(EncryptionKeyException.class).hasMessageContaining("does not open the repository's keyring");
    }

    @Test
    void clearObjectsWrittenBeforeEncryptionStayReadable() throws IOException {
        byte[] old = data(5000, 5);
        with(Optional.empty()).createIfAbsent(WAL, () -> new ByteArrayInputStream(old));
        Storage encrypted = with(Optional.of(master));
        encrypted.createIfAbsent(OTHER, () -> new ByteArrayInputStream(data(5000, 6)));
        assertThat(read(encrypted, WAL)).isEqualTo(old);
        assertThat(raw.bytes(WAL)).isEqualTo(old);
        assertThat(KeyringStore.encrypted(encrypted, WAL)).isFalse();
        assertThat(KeyringStore.encrypted(encrypted, OTHER)).isTrue();
    }

    @Test
    void rotationsKeepOldObjectsReadableAndRetireTheOldMasterKey() throws IOException {
        with(Optional.of(master)).createIfAbsent(WAL, () -> new ByteArrayInputStream(data(1000, 7)));
        Keyring data = KeyringStore.rotateData(raw, master, Instant.now());
        assertThat(data.current()).isEqualTo(2);
        Storage afterData = with(Optional.of(master));
        afterData.createIfAbsent(OTHER, () -> new ByteArrayInputStream(data(1000, 8)));
        assertThat(ObjectCipher.keyIdOf(Arrays.copyOf(raw.bytes(OTHER), ObjectCipher.HEADER_LENGTH))).hasValue(2);

        MasterKey next = MasterKey.generate();
        Keyring rotated = KeyringStore.rotateMaster(raw, master, next, Instant.now());
        assertThat(RepositoryLayout.keyringGenerations(raw)).containsExactly(rotated.generation());
        assertThat(read(with(Optional.of(next)), WAL)).isEqualTo(data(1000, 7));
        assertThat(read(with(Optional.of(next)), OTHER)).isEqualTo(data(1000, 8));
        assertThatThrownBy(() -> read(with(Optional.of(master)), WAL)).isInstanceOf(EncryptionKeyException.class);
        assertThat(rotated.keys()).extracting(DataKey::id).containsExactly(1, 2);
        assertThat(rotated.toString()).doesNotContain(java.util.Base64.getEncoder().encodeToString(rotated.currentKey().material()));
    }

    @Test
    void ofTwoRotationsFromOneGenerationOnlyOneWins() throws IOException {
        KeyringStore.openOrCreate(raw, master, Instant.now());
        byte[] winner = Keyring.first(Instant.now(), ClearObjects.list(raw, Instant.now()))
                .withNewDataKey(Instant.now()).seal(master);
        // the other rotation stores generation 2 between this one's read and its create
        Storage racing = new io.walstash.core.storage.ForwardingStorage(raw) {
            @Override
            public boolean createIfAbsent(String key, InputStream content) throws IOException {
                if (key.equals(RepositoryLayout.keyringKey(2))) {
                    raw.createIfAbsent(key, new ByteArrayInputStream(winner));
                }
                return super.createIfAbsent(key, content);
            }
        };
        assertThatThrownBy(() -> KeyringStore.rotateData(racing, master, Instant.now()))
                .hasMessageStartingWith("keyring generation 2 was written by another rotation meanwhile");
        assertThat(raw.bytes(RepositoryLayout.keyringKey(2))).isEqualTo(winner);
        assertThat(RepositoryLayout.keyringGenerations(raw)).containsExactly(1L, 2L);
    }

    @Test
    void aClearObjectWrittenAfterEncryptionWasTurnedOnIsRefusedWhileTheClearOnesFromBeforeStillRead() throws IOException {
        Storage clearWriter = with(Optional.empty());
        String history = "wal/00000002.history.zst";
        String oldBackupFile = "backups/base_000000010000000000000001/files/base/1/1234.zst";
        for (String key : List.of(WAL, history, oldBackupFile)) {
            clearWriter.createIfAbsent(key, () -> new ByteArrayInputStream(data(1000, key.hashCode())));
        }
        // encryption turned on an hour ago (so that storage's times of what follows are well after it)
        Instant on = Instant.now().minus(Duration.ofHours(1));
        EncryptedStorage.over(raw, Optional.of(master), Clock.fixed(on, ZoneOffset.UTC))
                .createIfAbsent(OTHER, () -> new ByteArrayInputStream(data(1000, 2)));
        KeyringStore.rotateData(raw, master, Instant.now()); // the record survives rotations
        Storage reader = with(Optional.of(master));

        for (String key : List.of(WAL, history, oldBackupFile)) {
            assertThat(read(reader, key)).as(key).isEqualTo(data(1000, key.hashCode()));
        }
        raw.corrupt(OTHER, data(1000, 2)); // a clear walstash object in place of the encrypted one
        String planted = "wal/000000010000000000000003.zst";
        raw.createIfAbsent(planted, new ByteArrayInputStream(data(1000, 3)));
        String newBackup = "backups/base_000000010000000000000009/files/base/1/1234.zst";
        raw.createIfAbsent(newBackup, new ByteArrayInputStream(data(1000, 9)));
        String partial = "stream/000000010000000000000004/00010000.zst";
        raw.createIfAbsent(partial, new ByteArrayInputStream(data(1000, 4)));
        for (String key : List.of(OTHER, planted, newBackup, partial, "wal/00000003.history.zst")) {
            if (!key.endsWith("history.zst")) {
                assertThatThrownBy(() -> read(reader, key)).as(key).isInstanceOf(CorruptObjectException.class)
                        .hasMessage("object " + key + " is stored clear, but the repository was encrypted (" + on
                                + ") before it was written: refused (a clear object in place of an encrypted one?)");
                assertThatThrownBy(() -> reader.readRange(key, 10, 10).close()).as(key)
                        .isInstanceOf(CorruptObjectException.class);
            }
        }
        raw.createIfAbsent("wal/00000003.history.zst", new ByteArrayInputStream(data(100, 5)));
        assertThatThrownBy(() -> read(reader, "wal/00000003.history.zst")).isInstanceOf(CorruptObjectException.class);
        // without the key nothing can be authenticated: clear objects read as they are
        assertThat(read(with(Optional.empty()), planted)).isEqualTo(data(1000, 3));
    }

    @Test
    void clearObjectsStoredWithinMomentsOfTheKeyringStillRead() throws IOException {
        with(Optional.of(master)).createIfAbsent(OTHER, () -> new ByteArrayInputStream(data(1000, 2)));
        // a writer without a key that checked for a keyring just before it was created
        raw.createIfAbsent(WAL, new ByteArrayInputStream(data(1000, 1)));
        assertThat(read(with(Optional.of(master)), WAL)).isEqualTo(data(1000, 1));
    }

    @Test
    void streamedPartialsAreEncryptedToo() throws IOException {
        String partial = "stream/000000010000000000000004/00010000.zst";
        with(Optional.of(master)).createIfAbsent(partial, () -> new ByteArrayInputStream(data(1000, 4)));
        assertThat(ObjectCipher.keyIdOf(Arrays.copyOf(raw.bytes(partial), ObjectCipher.HEADER_LENGTH))).hasValue(1);
        assertThat(read(with(Optional.of(master)), partial)).isEqualTo(data(1000, 4));
    }

    @Test
    void masterKeysParseOnlyThirtyTwoBytesAndNeverShowThem() {
        MasterKey key = MasterKey.generate();
        assertThat(MasterKey.parse(key.toBase64(), "test").toString()).doesNotContain(key.toBase64()).contains("test");
        assertThatThrownBy(() -> MasterKey.parse("c2hvcnQ=", "WALSTASH_ENCRYPTION_KEY"))
                .hasMessage("WALSTASH_ENCRYPTION_KEY must be the base64 of 32 bytes, it holds 5 (`walstash key generate` prints a key)");
        assertThatThrownBy(() -> MasterKey.parse("not base64!", "WALSTASH_ENCRYPTION_KEY")).hasMessageNotContaining("not base64!");
    }
}
