package io.walstash.core.crypto;

import io.walstash.core.repository.ClearObjects;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A repository's keyring in storage. Storage never overwrites, so the keyring is generational:
 * each change creates {@code keyring/<next generation>} (create-if-absent, so of two concurrent
 * rotations exactly one wins) and the highest generation counts. A rotation deletes the older
 * generations once the new one is stored: after {@code rotate-master} no generation sealed under
 * the old master key is left.
 */
public final class KeyringStore {
    /** A keyring is a few hundred bytes per data key. */
    private static final int MAX_KEYRING = 1 << 20;

    private KeyringStore() {
    }

    /** The generations stored, lowest first. */
    public static List<Long> generations(Storage storage) throws IOException {
        return RepositoryLayout.keyringGenerations(storage);
    }

    /** Whether the repository is encrypted: it holds a keyring. */
    public static boolean present(Storage storage) throws IOException {
        return !generations(storage).isEmpty();
    }

    /** The clear part of the current keyring (no key needed); empty when the repository is not encrypted. */
    public static Optional<Keyring.Envelope> envelope(Storage storage) throws IOException {
        for (int attempt = 0; ; attempt++) {
            List<Long> generations = generations(storage);
            if (generations.isEmpty()) {
                return Optional.empty();
            }
            String key = RepositoryLayout.keyringKey(generations.get(generations.size() - 1));
            try (InputStream in = storage.read(key)) {
                return Optional.of(Keyring.envelope(in.readNBytes(MAX_KEYRING), key));
            } catch (NoSuchObjectException e) {
                if (attempt > 0) {
                    throw e;
                }
            }
        }
    }

    /**
     * Whether the stored object {@code key} is encrypted: reads its first bytes only. For status,
     * which asks only about objects written near the time encryption was turned on.
     */
    public static boolean encrypted(Storage storage, String key) throws IOException {
        try (InputStream in = EncryptedStorage.beneath(storage).readRange(key, 0, ObjectCipher.HEADER_LENGTH)) {
            return ObjectCipher.keyIdOf(in.readNBytes(ObjectCipher.HEADER_LENGTH)).isPresent();
        }
    }

    /** The current keyring opened with {@code master}; empty when the repository has none. */
    public static Optional<Keyring> open(Storage storage, MasterKey master) throws IOException {
        for (int attempt = 0; ; attempt++) {
            List<Long> generations = generations(storage);
            if (generations.isEmpty()) {
                return Optional.empty();
            }
            long latest = generations.get(generations.size() - 1);
            String key = RepositoryLayout.keyringKey(latest);
            try (InputStream in = storage.read(key)) {
                byte[] stored = in.readNBytes(MAX_KEYRING + 1);
                if (stored.length > MAX_KEYRING) {
                    throw new EncryptionKeyException(key + " is larger than a keyring can be");
                }
                return Optional.of(Keyring.open(stored, latest, key, master));
            } catch (NoSuchObjectException e) {
                if (attempt > 0) {
                    throw e;
                }
                // a rotation deleted it between the listing and the read: the newer one is listed now
            }
        }
    }

    /** As {@link #open}, failing when the repository has no keyring. */
    public static Keyring require(Storage storage, MasterKey master) throws IOException {
        return open(storage, master).orElseThrow(() -> new EncryptionKeyException(storage.location()
                + " holds no keyring: it is not encrypted (the first push with a master key set encrypts it)"));
    }

    /** The current keyring, creating the first one when the repository has none (turning encryption on). */
    public static Keyring openOrCreate(Storage storage, MasterKey master, Instant now) throws IOException {
        Optional<Keyring> existing = open(storage, master);
        if (existing.isPresent()) {
            return existing.get();
        }
        // what is clear now is listed before the keyring exists: a clear writer that has not seen it yet
        // may still add objects for a moment, which readers accept by their time (EncryptedStorage)
        Keyring first = Keyring.first(now, ClearObjects.list(storage, now));
        if (storage.createIfAbsent(RepositoryLayout.keyringKey(first.generation()), new ByteArrayInputStream(first.seal(master)))) {
            return first;
        }
        return require(storage, master); // another process turned encryption on first: use its keyring
    }

    /** Adds a data key that encrypts everything written from now on; older objects keep theirs. */
    public static Keyring rotateData(Storage storage, MasterKey master, Instant now) throws IOException {
        Keyring current = require(storage, master);
        return store(storage, current.withNewDataKey(now), master, current);
    }

    /** Seals the keyring under {@code newMaster}; afterwards {@code oldMaster} opens nothing. */
    public static Keyring rotateMaster(Storage storage, MasterKey oldMaster, MasterKey newMaster, Instant now)
            throws IOException {
        Keyring current = require(storage, oldMaster);
        return store(storage, current.next(now), newMaster, current);
    }

    private static Keyring store(Storage storage, Keyring next, MasterKey master, Keyring previous) throws IOException {
        String key = RepositoryLayout.keyringKey(next.generation());
        if (!storage.createIfAbsent(key, new ByteArrayInputStream(next.seal(master)))) {
            throw new IOException("keyring generation " + next.generation() + " was written by another rotation"
                    + " meanwhile; nothing changed here: list the keys and run the rotation again if still needed");
        }
        // read back with the key it was sealed under before anything older goes: the new one is what counts now
        Keyring stored = require(storage, master);
        if (stored.generation() != next.generation()) {
            throw new IOException("keyring generation " + stored.generation() + " appeared beside " + key
                    + "; nothing deleted: run `key list` and the rotation again");
        }
        List<String> older = new ArrayList<>();
        for (long g : generations(storage)) {
            if (g < next.generation()) {
                older.add(RepositoryLayout.keyringKey(g));
            }
        }
        storage.deleteAll(older);
        return stored;
    }
}
