package io.walstash.core.crypto;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.Decoding;
import io.walstash.core.config.Settings;
import io.walstash.core.repository.ClearObjects;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Encryption at rest as a layer over an adapter's storage (beneath the retry layer, so that every
 * view of a storage encrypts alike): objects that hold content ({@link RepositoryLayout#holdsContent})
 * are encrypted as they are created and decrypted as they are read; catalog objects pass clear.
 *
 * <p>Reading tells objects apart by their first bytes: objects written before encryption was turned
 * on have no encryption header and are read as they are. Writing with a master key encrypts with the
 * keyring's current data key, creating the keyring on the first write (turning encryption on);
 * writing content without a master key into a repository that has a keyring is refused, so an
 * encrypted repository never silently gains clear objects.
 *
 * <p>Nor does it gain them behind walstash's back: with the master key, a clear content object is
 * read only if the keyring (authenticated under the master key) records it among those the repository
 * held when encryption was turned on ({@link ClearObjects}), or if storage stored it within
 * {@link #IN_FLIGHT} of that moment (a writer without a key re-checks for a keyring only every
 * {@link #RECHECK}). Any other clear object, such as one a bucket writer put in place of an encrypted
 * one, is refused as corrupt. Without the master key nothing can be authenticated, so clear objects
 * are read as they are.
 */
public class EncryptedStorage extends ForwardingStorage {
    /** How long a writer trusts what it found: a long-running daemon sees a rotation or a new keyring after this. */
    private static final Duration RECHECK = Duration.ofMinutes(1);
    /**
     * How long after encryption was turned on clear objects may still arrive from writers without a
     * key that had not seen the keyring yet: their recheck interval, twice over for an upload under
     * way and modest clock skew between this host and storage.
     */
    static final Duration IN_FLIGHT = RECHECK.multipliedBy(2);

    private final Optional<MasterKey> master;
    private final Clock clock;
    private volatile Keyring keyring;
    private volatile Instant keyringRead = Instant.MIN;
    private volatile Instant foundClear = Instant.MIN;
    /** When a reader with a key last found no keyring (a repository not encrypted: every clear object reads). */
    private volatile Instant foundNoKeyring = Instant.MIN;

    EncryptedStorage(Storage delegate, Optional<MasterKey> master, Clock clock) {
        super(delegate);
        this.master = master;
        this.clock = clock;
    }

    /** {@code storage} under the layer with the master key {@code settings} configure (or none). */
    public static Storage over(Storage storage, Settings settings) throws IOException {
        return over(storage, MasterKeys.find(settings), Clock.systemUTC());
    }

    /** {@code storage} under the layer with {@code master}; a storage that can create its bucket still can. */
    public static Storage over(Storage storage, Optional<MasterKey> master, Clock clock) {
        if (storage instanceof EncryptedStorage) {
            return storage;
        }
        return storage instanceof CreatesBucket ? new WithBucket(storage, master, clock)
                : new EncryptedStorage(storage, master, clock);
    }

    private static final class WithBucket extends EncryptedStorage implements CreatesBucket {
        WithBucket(Storage storage, Optional<MasterKey> master, Clock clock) {
            super(storage, master, clock);
        }

        @Override
        public boolean createBucketIfMissing() throws IOException {
            return ((CreatesBucket) underlying()).createBucketIfMissing();
        }

        @Override
        public UploadCleanup abortIncompleteUploads(int days) throws IOException {
            return ((CreatesBucket) underlying()).abortIncompleteUploads(days);
        }

        @Override
        public Versioning versioning() throws IOException {
            return ((CreatesBucket) underlying()).versioning();
        }
    }

    /** The stored bytes as they are: {@code storage} beneath the retry and encryption layers. */
    public static Storage beneath(Storage storage) {
        Storage raw = storage instanceof io.walstash.core.storage.RetryingStorage retrying ? retrying.underlying() : storage;
        return raw instanceof EncryptedStorage encrypted ? encrypted.underlying() : raw;
    }

    /** The adapter's storage beneath the layer. */
    public Storage underlying() {
        return delegate;
    }

    /** The master key this layer was opened with, if any. */
    public Optional<MasterKey> masterKey() {
        return master;
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        Optional<ObjectCipher> cipher = writer(key);
        if (cipher.isEmpty()) {
            return delegate.createIfAbsent(key, content);
        }
        try (InputStream encrypted = cipher.get().encrypting(content, key)) {
            return delegate.createIfAbsent(key, encrypted);
        }
    }

    @Override
    public boolean createIfAbsent(String key, Content content) throws IOException {
        Optional<ObjectCipher> cipher = writer(key);
        if (cipher.isEmpty()) {
            return delegate.createIfAbsent(key, content);
        }
        return delegate.createIfAbsent(key, () -> cipher.get().encrypting(content.open(), key));
    }

    /** The cipher new content under {@code key} is written with; empty to write it clear. */
    private Optional<ObjectCipher> writer(String key) throws IOException {
        if (!RepositoryLayout.holdsContent(key)) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        if (master.isEmpty()) {
            if (foundClear.plus(RECHECK).isBefore(now)) {
                if (KeyringStore.present(delegate)) {
                    throw EncryptionKeyException.missing("repository " + delegate.location()
                            + " is encrypted (it holds a keyring), so nothing is written to it clear");
                }
                foundClear = now;
            }
            return Optional.empty();
        }
        Keyring current = keyring;
        if (current == null || keyringRead.plus(RECHECK).isBefore(now)) {
            current = KeyringStore.openOrCreate(delegate, master.get(), now);
            keyring = current;
            keyringRead = now;
        }
        return Optional.of(new ObjectCipher(current.currentKey()));
    }

    /** The cipher of data key {@code id}, reading the keyring again once when the cached one lacks it. */
    private ObjectCipher reader(int id, String key) throws IOException {
        if (master.isEmpty()) {
            throw EncryptionKeyException.missing("object " + key + " is encrypted");
        }
        Keyring current = keyring;
        if (current == null || current.key(id).isEmpty()) {
            current = KeyringStore.require(delegate, master.get());
            keyring = current;
            keyringRead = clock.instant();
        }
        Keyring found = current;
        return new ObjectCipher(found.key(id).orElseThrow(() -> new EncryptionKeyException("object " + key
                + " is encrypted with data key " + id + ", which the repository's keyring (generation "
                + found.generation() + ") does not hold")));
    }

    @Override
    public InputStream read(String key) throws IOException {
        if (!RepositoryLayout.holdsContent(key)) {
            return delegate.read(key);
        }
        Decoding.Source source = Decoding.source(delegate.read(key));
        PushbackInputStream in = new PushbackInputStream(source, ObjectCipher.HEADER_LENGTH);
        try {
            byte[] first = in.readNBytes(ObjectCipher.HEADER_LENGTH);
            OptionalInt id = ObjectCipher.keyIdOf(first);
            if (id.isEmpty()) {
                admitClear(key);
                in.unread(first);
                return in;
            }
            return reader(id.getAsInt(), key).decrypting(in, source, key);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        if (!RepositoryLayout.holdsContent(key)) {
            return delegate.readRange(key, offset, length);
        }
        byte[] first;
        try (InputStream head = delegate.readRange(key, 0, ObjectCipher.HEADER_LENGTH)) {
            first = head.readNBytes(ObjectCipher.HEADER_LENGTH);
        }
        OptionalInt id = ObjectCipher.keyIdOf(first);
        if (id.isEmpty()) {
            Arrays.fill(first, (byte) 0);
            admitClear(key);
            return delegate.readRange(key, offset, length);
        }
        ObjectCipher cipher = reader(id.getAsInt(), key);
        ObjectInfo info = delegate.stat(key).orElseThrow(() -> new NoSuchObjectException(key));
        StorageChannel channel = new StorageChannel(delegate, key, ObjectCipher.HEADER_LENGTH,
                Math.max(0, info.size() - ObjectCipher.HEADER_LENGTH));
        try {
            return cipher.decryptingRange(channel, channel::failed, key, offset, length);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Fails unless clear content object {@code key} may be read clear (see the class comment). */
    private void admitClear(String key) throws IOException {
        if (master.isEmpty()) {
            return;
        }
        Optional<Keyring> current = keyringIfAny();
        if (current.isEmpty() || current.get().clear().isEmpty()) {
            return; // not encrypted, or a keyring from before clear objects were recorded: as before
        }
        ClearObjects clear = current.get().clear().get();
        if (clear.admits(key)) {
            return;
        }
        Optional<ObjectInfo> info = delegate.stat(key);
        if (info.isPresent() && info.get().lastModified().isBefore(clear.recorded().plus(IN_FLIGHT))) {
            return;
        }
        throw new CorruptObjectException("object " + key + " is stored clear, but the repository was encrypted ("
                + clear.recorded() + ") before it was written: refused (a clear object in place of an encrypted one?)");
    }

    /** The keyring, read once and kept; empty (re-checked after {@link #RECHECK}) when the repository has none. */
    private Optional<Keyring> keyringIfAny() throws IOException {
        Keyring current = keyring;
        if (current != null) {
            return Optional.of(current);
        }
        Instant now = clock.instant();
        if (!foundNoKeyring.plus(RECHECK).isBefore(now)) {
            return Optional.empty();
        }
        Optional<Keyring> found = KeyringStore.open(delegate, master.get());
        if (found.isPresent()) {
            keyring = found.get();
            keyringRead = now;
        } else {
            foundNoKeyring = now;
        }
        return found;
    }

    @Override
    public String toString() {
        // without a key this layer only reads (and refuses to mix into an encrypted repository):
        // messages name the adapter's storage as they did before the layer existed
        return master.isPresent() ? "Encrypted(" + delegate + ")" : delegate.toString();
    }
}
