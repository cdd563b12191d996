package io.walstash.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.io.PlainJson;
import io.walstash.core.repository.ClearObjects;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The keyring's stored form: sealed and opened again, and what a hostile or damaged envelope gets. */
class KeyringTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private final MasterKey master = MasterKey.generate();

    private static Keyring twoKeys() {
        ClearObjects clear = new ClearObjects(new TreeMap<>(Map.of(1L, "000000010000000000000007")),
                new TreeSet<>(java.util.List.of("base_000000010000000000000004")), T0);
        return Keyring.first(T0, clear).withNewDataKey(T0.plusSeconds(60));
    }

    @Test
    void aSealedKeyringOpensToTheSameKeysAndClearRecord() throws IOException {
        Keyring keyring = twoKeys();
        byte[] stored = keyring.seal(master);
        Keyring opened = Keyring.open(stored, 2, "keyring/2", master);
        assertThat(opened.generation()).isEqualTo(2);
        assertThat(opened.current()).isEqualTo(2);
        assertThat(opened.created()).isEqualTo(T0.plusSeconds(60));
        assertThat(opened.since()).isEqualTo(T0);
        assertThat(opened.keys()).hasSize(2);
        for (DataKey key : keyring.keys()) {
            assertThat(opened.key(key.id()).orElseThrow().material()).isEqualTo(key.material());
            assertThat(opened.key(key.id()).orElseThrow().created()).isEqualTo(key.created());
        }
        assertThat(opened.clear()).isEqualTo(keyring.clear());
        assertThat(Keyring.envelope(stored, "keyring/2")).isEqualTo(new Keyring.Envelope(2, T0.plusSeconds(60), T0));
        // the envelope is clear, the key material is not
        String text = new String(stored, StandardCharsets.UTF_8);
        assertThat(text).contains("\"generation\" : 2");
        for (DataKey key : keyring.keys()) {
            assertThat(text).doesNotContain(Base64.getEncoder().encodeToString(key.material()));
        }
    }

    @Test
    void aKeyringWithoutAClearRecordStillOpens() throws IOException {
        Keyring old = new Keyring(1, T0, T0, 1, twoKeys().keys().subList(0, 1), Optional.empty());
        assertThat(Keyring.open(old.seal(master), 1, "keyring/1", master).clear()).isEmpty();
    }

    @Test
    void anEnvelopeOfAnotherGenerationFormatOrShapeIsRefusedInOneLine() throws IOException {
        byte[] stored = twoKeys().seal(master);
        assertThatThrownBy(() -> Keyring.open(stored, 3, "keyring/3", master))
                .isInstanceOf(EncryptionKeyException.class).hasMessage("keyring/3 is not a keyring generation 3 this walstash reads (format 1)");
        assertThatThrownBy(() -> Keyring.open(with(stored, "format", 2L), 2, "keyring/2", master))
                .hasMessage("keyring/2 is not a keyring generation 2 this walstash reads (format 2)");
        assertThatThrownBy(() -> Keyring.open(with(stored, "generation", "2"), 2, "keyring/2", master))
                .hasMessageContaining("is not a keyring generation 2");
        assertThatThrownBy(() -> Keyring.open(with(stored, "created", 5L), 2, "keyring/2", master))
                .hasMessage("keyring/2 is not a valid keyring: field created is missing or not a string");
        assertThatThrownBy(() -> Keyring.envelope(with(stored, "generation", null), "keyring/2"))
                .hasMessage("keyring/2 is not a valid keyring: field generation is missing or not an integer");
        assertThatThrownBy(() -> Keyring.open("{\"format\": 1".getBytes(StandardCharsets.UTF_8), 2, "keyring/2", master))
                .hasMessage("keyring/2 is not a valid keyring (not JSON)");
    }

    @Test
    void anotherMasterKeyOrAnEnvelopeSealedForAnotherGenerationDoesNotOpen() throws IOException {
        byte[] stored = twoKeys().seal(master);
        assertThatThrownBy(() -> Keyring.open(stored, 2, "keyring/2", MasterKey.generate()))
                .isInstanceOf(EncryptionKeyException.class).hasMessageContaining("does not open the repository's keyring (keyring/2)");
        // generation 2's sealed list passed off as generation 3: the associated data differs
        byte[] moved = with(stored, "generation", 3L);
        assertThatThrownBy(() -> Keyring.open(moved, 3, "keyring/3", master))
                .hasMessageContaining("does not open the repository's keyring (keyring/3)");
    }

    /** {@code stored} with the clear envelope's {@code field} set to {@code value}. */
    private static byte[] with(byte[] stored, String field, Object value) throws IOException {
        Map<String, Object> envelope = new LinkedHashMap<>(PlainJson.readObject(stored));
        envelope.put(field, value);
        return PlainJson.write(envelope, true);
    }
}
