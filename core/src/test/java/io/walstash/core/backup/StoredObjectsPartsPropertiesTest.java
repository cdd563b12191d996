package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.io.Digests;
import io.walstash.core.storage.InMemoryStorage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Objects in parts: what put records is what the parts hold, and they read back as the file. */
class StoredObjectsPartsPropertiesTest {
    private final Codec codec = new DeflateTestCodec();

    @Property(tries = 200)
    void partsReadBackAsTheFileAndEachDecodesOnItsOwn(@ForAll @Size(max = 5000) byte[] file,
                                                     @ForAll @IntRange(min = 1, max = 2000) int partSize) throws IOException {
        InMemoryStorage storage = new InMemoryStorage();
        StoredObjects.Stored stored = StoredObjects.put(storage, "o.dft", () -> new ByteArrayInputStream(file), codec, partSize);

        int expectedParts = Math.max(1, (file.length + partSize - 1) / partSize);
        assertThat(stored.parts() == null ? 1 : stored.parts().size()).isEqualTo(expectedParts);
        assertThat(stored.plainSize()).isEqualTo(file.length);
        assertThat(stored.storedSize()).isEqualTo(storage.bytes("o.dft").length);
        assertThat(stored.hashed()).isEqualTo(BackupManifest.HashedBytes.STORED);
        if (stored.parts() == null) {
            // one stream: the SHA-256 of the object as stored
            assertThat(stored.sha256()).isEqualTo(HexFormat.of().formatHex(Digests.sha256().digest(storage.bytes("o.dft"))));
        } else {
            assertThat(stored.sha256()).isEqualTo(BackupManifest.Part.sha256Of(stored.parts()));
            long offset = 0;
            int plainOffset = 0;
            for (int i = 0; i < stored.parts().size(); i++) {
                BackupManifest.Part part = stored.parts().get(i);
                byte[] partStored = java.util.Arrays.copyOfRange(storage.bytes("o.dft"), (int) offset,
                        (int) (offset + part.storedSize()));
                assertThat(part.sha256()).isEqualTo(HexFormat.of().formatHex(Digests.sha256().digest(partStored)));
                try (InputStream in = StoredObjects.openPart(storage, codec, "o.dft", i, offset, part)) {
                    byte[] plain = in.readAllBytes();
                    assertThat(plain).isEqualTo(java.util.Arrays.copyOfRange(file, plainOffset, plainOffset + plain.length));
                    plainOffset += plain.length;
                }
                offset += part.storedSize();
            }
            assertThat(plainOffset).isEqualTo(file.length);
        }
        BackupManifest.FileEntry entry = new BackupManifest.FileEntry("f", file.length, 0600, 0, false, "o.dft",
                stored.sha256(), stored.hashed(), stored.plainSize(), stored.storedSize(), null, stored.parts());
        try (InputStream in = StoredObjects.open(storage, Codecs.of(List.of(codec)), entry)) {
            assertThat(in.readAllBytes()).isEqualTo(file);
        }
    }
}
