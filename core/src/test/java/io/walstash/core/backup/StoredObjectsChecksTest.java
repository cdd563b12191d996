package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.io.Digests;
import io.walstash.core.storage.InMemoryStorage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a restore reads from a backup object is what was backed up, whichever bytes the manifest's
 * SHA-256 is over: the stored bytes (format 4 on) or the plain bytes (objects written before).
 * Every failure is a {@link CorruptObjectException} naming the object, thrown instead of the end
 * of the stream, so that a reader that commits at the end (a file renamed into place) never does.
 */
class StoredObjectsChecksTest {
    private static final String KEY = "backups/base_000000010000000000000002/files/base/1/16384.dft";
    private final Codec codec = new DeflateTestCodec();
    private final Codecs codecs = Codecs.of(List.of(codec));
    private final InMemoryStorage storage = new InMemoryStorage();

    private static byte[] pageLike(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            // page-like: runs of one value with some variety, compressible as table pages are
            bytes[i] = (byte) ((i / 512) * 31 + seed + (i % 97 == 0 ? i : 0));
        }
        return bytes;
    }

    private BackupManifest.FileEntry put(String key, byte[] plain, long partSize) throws IOException {
        StoredObjects.Stored stored = StoredObjects.put(storage, key, () -> new ByteArrayInputStream(plain), codec, partSize);
        return new BackupManifest.FileEntry("base/1/16384", plain.length, 0600, 0, false, key, stored.sha256(),
                stored.hashed(), stored.plainSize(), stored.storedSize(), null, stored.parts());
    }

    private byte[] read(BackupManifest.FileEntry entry) throws IOException {
        try (InputStream in = StoredObjects.open(storage, codecs, entry)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theChecksumIsOverTheStoredBytesAndTheObjectReadsBackExactly() throws IOException {
        byte[] plain = pageLike(40_000, 1);
        BackupManifest.FileEntry entry = put(KEY, plain, Long.MAX_VALUE);

        assertThat(entry.hashed()).isEqualTo(BackupManifest.HashedBytes.STORED);
        assertThat(entry.sha256()).isEqualTo(HexFormat.of().formatHex(Digests.sha256().digest(storage.bytes(KEY))));
        assertThat(entry.storedSize()).isLessThan(plain.length / 4); // what a restore hashes now
        assertThat(read(entry)).isEqualTo(plain);
    }

    @Test
    void everyFlippedStoredByteIsFound() throws IOException {
        byte[] plain = pageLike(3000, 2);
        BackupManifest.FileEntry entry = put(KEY, plain, Long.MAX_VALUE);
        byte[] stored = storage.bytes(KEY);
        for (int at = 0; at < stored.length; at++) {
            byte[] flipped = stored.clone();
            flipped[at] ^= 0x01;
            storage.corrupt(KEY, flipped);
            assertThatThrownBy(() -> read(entry)).as("byte %d flipped", at)
                    .isInstanceOf(CorruptObjectException.class).hasMessageContaining(KEY);
        }
    }

    @Test
    void bytesAfterTheEndOfTheCodecsStreamAreFound() throws IOException {
        // deflate stops at the end of its stream and would not notice them; the stored length and SHA-256 do
        byte[] plain = pageLike(5000, 3);
        BackupManifest.FileEntry entry = put(KEY, plain, Long.MAX_VALUE);
        byte[] longer = Arrays.copyOf(storage.bytes(KEY), (int) entry.storedSize() + 5);
        storage.corrupt(KEY, longer);
        try (InputStream in = StoredObjects.open(storage, codecs, entry)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(CorruptObjectException.class)
                    .hasMessage("object " + KEY + " fails its checksum: the manifest records " + entry.storedSize()
                            + " stored bytes (5000 plain) with sha256 " + entry.sha256() + ", and what was read differs");
        }
    }

    @Test
    void aTruncatedObjectIsFound() throws IOException {
        BackupManifest.FileEntry entry = put(KEY, pageLike(5000, 4), Long.MAX_VALUE);
        byte[] stored = storage.bytes(KEY);
        for (int length : new int[] {0, 1, stored.length / 2, stored.length - 1}) {
            storage.corrupt(KEY, Arrays.copyOf(stored, length));
            assertThatThrownBy(() -> read(entry)).as("%d bytes left", length)
                    .isInstanceOf(CorruptObjectException.class).hasMessageContaining(KEY);
        }
    }

    @Test
    void anotherValidObjectOfTheSameLengthsInItsPlaceIsFound() throws IOException {
        // the same plain length and (for these) the same stored length: it decodes, only the checksum tells
        byte[] plain = "a".repeat(3200).getBytes(StandardCharsets.US_ASCII);
        byte[] other = "b".repeat(3200).getBytes(StandardCharsets.US_ASCII);
        BackupManifest.FileEntry entry = put(KEY, plain, Long.MAX_VALUE);
        String otherKey = KEY.replace("16384", "16385");
        BackupManifest.FileEntry otherEntry = put(otherKey, other, Long.MAX_VALUE);
        assertThat(otherEntry.storedSize()).isEqualTo(entry.storedSize());
        assertThat(otherEntry.sha256()).isNotEqualTo(entry.sha256());
        storage.corrupt(KEY, storage.bytes(otherKey));

        try (InputStream in = StoredObjects.open(storage, codecs, entry)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(CorruptObjectException.class)
                    .hasMessageStartingWith("object " + KEY + " fails its checksum");
        }
    }

    @Test
    void aPlainLengthOtherThanTheManifestsIsFoundThoughTheStoredBytesMatch() throws IOException {
        byte[] plain = pageLike(5000, 5);
        BackupManifest.FileEntry entry = put(KEY, plain, Long.MAX_VALUE);
        for (long claimed : new long[] {4999, 5001}) {
            BackupManifest.FileEntry lying = new BackupManifest.FileEntry(entry.path(), claimed, 0600, 0, false, KEY,
                    entry.sha256(), entry.hashed(), claimed, entry.storedSize(), null, null);
            assertThatThrownBy(() -> read(lying)).as("%d plain bytes claimed", claimed)
                    .isInstanceOf(CorruptObjectException.class).hasMessageStartingWith("object " + KEY + " fails its checksum");
        }
    }

    @Test
    void aFlippedPartIsFoundAndNamed() throws IOException {
        byte[] plain = pageLike(20_000, 6);
        BackupManifest.FileEntry entry = put(KEY, plain, 8192);
        assertThat(entry.parts()).hasSize(3);
        assertThat(entry.parts()).allMatch(p -> p.hashed() == BackupManifest.HashedBytes.STORED);
        assertThat(read(entry)).isEqualTo(plain);

        byte[] stored = storage.bytes(KEY);
        long secondStarts = entry.parts().get(0).storedSize();
        stored[(int) (secondStarts + entry.parts().get(1).storedSize() / 2)] ^= 0x10;
        storage.corrupt(KEY, stored);
        assertThatThrownBy(() -> read(entry)).isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("object " + KEY + " (part 1)");
    }

    @Test
    void objectsWrittenWithPlainChecksumsStillReadAndAreChecked() throws IOException {
        // as walstash wrote them before manifest format 4: the SHA-256 of the plain bytes
        byte[] plain = pageLike(5000, 7);
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(stored)) {
            out.write(plain);
        }
        storage.createIfAbsent(KEY, new ByteArrayInputStream(stored.toByteArray()));
        BackupManifest.FileEntry entry = new BackupManifest.FileEntry("base/1/16384", plain.length, 0600, 0, false, KEY,
                HexFormat.of().formatHex(Digests.sha256().digest(plain)), BackupManifest.HashedBytes.PLAIN, plain.length,
                stored.size(), null, null);
        assertThat(read(entry)).isEqualTo(plain);

        byte[] other = plain.clone();
        other[100] ^= 0x01;
        ByteArrayOutputStream otherStored = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(otherStored)) {
            out.write(other);
        }
        storage.corrupt(KEY, otherStored.toByteArray());
        assertThatThrownBy(() -> read(entry)).isInstanceOf(CorruptObjectException.class)
                .hasMessageStartingWith("object " + KEY + " fails its checksum: the manifest records 5000 bytes with sha256");
    }
}
