package io.walstash.core.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import io.walstash.core.repository.ClearObjects;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One generation of a repository's keyring: its data keys and which one encrypts new objects.
 * Stored as {@code keyring/<generation>}: a clear JSON envelope (format, generation, creation time,
 * and the time encryption was turned on, which status reads without the key) around the key list sealed with AES-256-GCM under the master key, the generation as associated
 * data (an old generation can't be passed off as a newer one).
 *
 * <p>The sealed part also records the content objects that were clear when encryption was turned on
 * ({@link ClearObjects}, from the first generation on, carried over by every rotation): a reader with
 * the key accepts no other clear content object. Empty in keyrings written before it was recorded,
 * whose repositories accept every clear object as before.
 */
public record Keyring(long generation, Instant created, Instant since, int current, List<DataKey> keys,
                      Optional<ClearObjects> clear) {
    static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };

    public Keyring {
        keys = List.copyOf(keys);
        Objects.requireNonNull(clear, "clear");
        if (generation < 1) {
            throw new IllegalArgumentException("keyring generation must be positive, got " + generation);
        }
        if (keys.stream().noneMatch(k -> k.id() == current)) {
            throw new IllegalArgumentException("keyring generation " + generation + " names current data key "
                    + current + ", which it does not hold");
        }
    }

    /** The first keyring of a repository: one fresh data key; {@code clear} what the repository holds clear. */
    static Keyring first(Instant now, ClearObjects clear) {
        return new Keyring(1, now, now, 1, List.of(fresh(1, now)), Optional.of(clear));
    }

    /** The next generation with a fresh data key that encrypts everything written from now on. */
    Keyring withNewDataKey(Instant now) {
        int id = keys.stream().mapToInt(DataKey::id).max().orElse(0) + 1;
        List<DataKey> more = new ArrayList<>(keys);
        more.add(fresh(id, now));
        return new Keyring(generation + 1, now, since, id, more, clear);
    }

    /** The next generation holding the same keys (sealed under another master key). */
    Keyring next(Instant now) {
        return new Keyring(generation + 1, now, since, current, keys, clear);
    }

    public DataKey currentKey() {
        return key(current).orElseThrow();
    }

    public Optional<DataKey> key(int id) {
        return keys.stream().filter(k -> k.id() == id).findFirst();
    }

    private static DataKey fresh(int id, Instant now) {
        byte[] material = new byte[MasterKey.LENGTH];
        RANDOM.nextBytes(material);
        return new DataKey(id, now, material);
    }

    /** The stored form, sealed under {@code master}. */
    byte[] seal(MasterKey master) throws IOException {
        ObjectNode inner = JSON.createObjectNode().put("current", current);
        ArrayNode list = inner.putArray("keys");
        for (DataKey k : keys) {
            list.addObject().put("id", k.id()).put("created", k.created().toString())
                    .put("key", Base64.getEncoder().encodeToString(k.material()));
        }
        clear.ifPresent(c -> inner.set("clear", JSON.valueToTree(c.toJson())));
        byte[] sealed;
        try {
            sealed = master.aead().encrypt(JSON.writeValueAsBytes(inner), associatedData(generation));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot seal keyring generation " + generation + ": " + e.getMessage(), e);
        }
        ObjectNode outer = JSON.createObjectNode().put("format", FORMAT).put("generation", generation)
                .put("created", created.toString()).put("since", since.toString()).put("sealed", Base64.getEncoder().encodeToString(sealed));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(outer);
    }

    /**
     * Opens a stored keyring generation; {@code key} names it in messages. Fails with an
     * {@link EncryptionKeyException} when {@code master} does not open it.
     */
    static Keyring open(byte[] stored, long expectedGeneration, String key, MasterKey master) throws IOException {
        JsonNode outer = parse(stored, key);
        long generation = outer.path("generation").asLong(-1);
        if (outer.path("format").asInt(-1) != FORMAT || generation != expectedGeneration) {
            throw new EncryptionKeyException(key + " is not a keyring generation " + expectedGeneration
                    + " this walstash reads (format " + outer.path("format") + ")");
        }
        byte[] inner;
        try {
            inner = master.aead().decrypt(Base64.getDecoder().decode(outer.path("sealed").asText()),
                    associatedData(generation));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new EncryptionKeyException("the master key from " + master.source() + " does not open the repository's"
                    + " keyring (" + key + "): a wrong key, or the master key was rotated");
        }
        JsonNode keys = parse(inner, key);
        List<DataKey> list = new ArrayList<>();
        for (JsonNode k : keys.path("keys")) {
            list.add(new DataKey(k.path("id").asInt(), Instant.parse(k.path("created").asText()),
                    Base64.getDecoder().decode(k.path("key").asText())));
        }
        try {
            Optional<ClearObjects> clear = keys.has("clear")
                    ? Optional.of(ClearObjects.fromJson(JSON.convertValue(keys.get("clear"), MAP)))
                    : Optional.empty();
            return new Keyring(generation, Instant.parse(outer.path("created").asText()),
                    Instant.parse(outer.path("since").asText()), keys.path("current").asInt(), list, clear);
        } catch (RuntimeException e) {
            throw new EncryptionKeyException(key + " is not a valid keyring: " + e.getMessage());
        }
    }

    /** What a stored generation says in clear: readable without the master key (for status). */
    public record Envelope(long generation, Instant created, Instant since) {
    }

    static Envelope envelope(byte[] stored, String key) throws IOException {
        JsonNode outer = parse(stored, key);
        try {
            return new Envelope(outer.path("generation").asLong(), Instant.parse(outer.path("created").asText()),
                    Instant.parse(outer.path("since").asText()));
        } catch (RuntimeException e) {
            throw new EncryptionKeyException(key + " is not a valid keyring: " + e.getMessage());
        }
    }

    private static JsonNode parse(byte[] json, String key) throws EncryptionKeyException {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new EncryptionKeyException(key + " is not a valid keyring (not JSON)");
        }
    }

    private static byte[] associatedData(long generation) {
        return ("walstash keyring generation " + generation).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "Keyring[generation=" + generation + ", current=" + current + ", keys=" + keys + "]";
    }
}
