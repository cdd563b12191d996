package io.walstash.core.crypto;

import io.walstash.core.io.PlainJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import io.walstash.core.repository.ClearObjects;
import java.util.LinkedHashMap;
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
    private static final SecureRandom RANDOM = new SecureRandom();

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
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("current", current);
        List<Object> list = new ArrayList<>();
        for (DataKey k : keys) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", k.id());
            entry.put("created", k.created().toString());
            entry.put("key", Base64.getEncoder().encodeToString(k.material()));
            list.add(entry);
        }
        inner.put("keys", list);
        clear.ifPresent(c -> inner.put("clear", c.toJson()));
        byte[] sealed;
        try {
            sealed = master.aead().encrypt(PlainJson.write(inner, false), associatedData(generation));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot seal keyring generation " + generation + ": " + e.getMessage(), e);
        }
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("format", FORMAT);
        outer.put("generation", generation);
        outer.put("created", created.toString());
        outer.put("since", since.toString());
        outer.put("sealed", Base64.getEncoder().encodeToString(sealed));
        return PlainJson.write(outer, true);
    }

    /**
     * Opens a stored keyring generation; {@code key} names it in messages. Fails with an
     * {@link EncryptionKeyException} when {@code master} does not open it.
     */
    static Keyring open(byte[] stored, long expectedGeneration, String key, MasterKey master) throws IOException {
        Map<String, Object> outer = parse(stored, key);
        Object format = outer.get("format");
        if (!Long.valueOf(FORMAT).equals(format) || !Long.valueOf(expectedGeneration).equals(outer.get("generation"))) {
            throw new EncryptionKeyException(key + " is not a keyring generation " + expectedGeneration
                    + " this walstash reads (format " + format + ")");
        }
        byte[] inner;
        try {
            inner = master.aead().decrypt(Base64.getDecoder().decode(text(outer, "sealed")),
                    associatedData(expectedGeneration));
        } catch (GeneralSecurityException | IllegalArgumentException e) { // also: no sealed text, or not base64
            throw new EncryptionKeyException("the master key from " + master.source() + " does not open the repository's"
                    + " keyring (" + key + "): a wrong key, or the master key was rotated");
        }
        Map<String, Object> keys = parse(inner, key);
        try {
            List<DataKey> list = new ArrayList<>();
            if (!(keys.get("keys") instanceof List<?> entries)) {
                throw new IllegalArgumentException("field keys is missing or not a list");
            }
            for (Object entry : entries) {
                if (!(entry instanceof Map<?, ?> k)) {
                    throw new IllegalArgumentException("an entry of keys is not an object");
                }
                list.add(new DataKey(Math.toIntExact(number(k, "id")), Instant.parse(text(k, "created")),
                        Base64.getDecoder().decode(text(k, "key"))));
            }
            Optional<ClearObjects> clear = Optional.empty();
            if (keys.containsKey("clear")) {
                if (!(keys.get("clear") instanceof Map<?, ?> listed)) {
                    throw new IllegalArgumentException("field clear is not an object");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> object = (Map<String, Object>) listed;
                clear = Optional.of(ClearObjects.fromJson(object));
            }
            return new Keyring(expectedGeneration, Instant.parse(text(outer, "created")),
                    Instant.parse(text(outer, "since")), Math.toIntExact(number(keys, "current")), list, clear);
        } catch (RuntimeException e) { // a missing field or one of another type, a bad time or base64
            throw new EncryptionKeyException(key + " is not a valid keyring: " + e.getMessage());
        }
    }

    /** What a stored generation says in clear: readable without the master key (for status). */
    public record Envelope(long generation, Instant created, Instant since) {
    }

    static Envelope envelope(byte[] stored, String key) throws IOException {
        Map<String, Object> outer = parse(stored, key);
        try {
            return new Envelope(number(outer, "generation"), Instant.parse(text(outer, "created")),
                    Instant.parse(text(outer, "since")));
        } catch (RuntimeException e) {
            throw new EncryptionKeyException(key + " is not a valid keyring: " + e.getMessage());
        }
    }

    /** The string field {@code name} of {@code object}; an IllegalArgumentException naming it when there is none. */
    private static String text(Map<?, ?> object, String name) {
        if (object.get(name) instanceof String text) {
            return text;
        }
        throw new IllegalArgumentException("field " + name + " is missing or not a string");
    }

    /** The integer field {@code name} of {@code object}; an IllegalArgumentException naming it when there is none. */
    private static long number(Map<?, ?> object, String name) {
        if (object.get(name) instanceof Long number) {
            return number;
        }
        throw new IllegalArgumentException("field " + name + " is missing or not an integer");
    }

    private static Map<String, Object> parse(byte[] json, String key) throws EncryptionKeyException {
        try {
            return PlainJson.readObject(json);
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
