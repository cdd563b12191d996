package io.walstash.core.crypto;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.Decoding;
import io.walstash.core.config.Settings;
import io.walstash.core.spool.LocalSealing;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Encryption of the WAL walstash keeps on local disk (spooled files, prefetched files) when a master
 * key is configured: with encryption on, the only clear WAL walstash writes is the file PostgreSQL
 * reads from restore_command's {@code %p}.
 *
 * <p>Why a key derived from the master key (HKDF-SHA256, a label of its own) rather than the
 * repository's current data key: a file is spooled exactly when storage does not answer, when the
 * keyring (which is in storage) cannot be read, while the master key is at hand wherever walstash
 * runs with encryption on. One construction serves both kinds of file, so prefetched files use it
 * too (they also hold objects that were stored clear, before encryption was turned on).
 *
 * <p>A sealed file is {@link ObjectCipher}'s form: the clear 13-byte header, whose key id here is a
 * fingerprint of the derived key (so that a file sealed under another master key is named as such,
 * not as damaged), then Tink's streaming AEAD with the header and {@code local/<name>} as associated
 * data: a flipped, truncated or swapped file (another segment's, a spooled file put among prefetched
 * ones) fails to unseal with a {@link CorruptObjectException}.
 *
 * <p>After {@code key rotate-master}, files sealed under the old master key no longer unseal: a
 * prefetched one is just fetched again; a spooled one is kept and reported (drain the spool before
 * rotating the master key).
 */
public final class MasterKeySealing implements LocalSealing {
    private static final String KEY_LABEL = "walstash local files v1";
    private static final String ID_LABEL = "walstash local files v1 key id";
    
    private final Settings settings;
    /** The cipher, once looked up (the master key file is read on first use); empty without a key. */
    private volatile Optional<Sealer> sealer;

    private record Sealer(ObjectCipher cipher, String source) {
    }

    private MasterKeySealing(Settings settings, Optional<Sealer> sealer) {
        this.settings = settings;
        this.sealer = sealer;
    }

    /**
     * Sealing under the master key {@code settings} configure, if any; the key is looked up when
     * first needed, so that a key file that cannot be read fails the first file sealed or unsealed
     * (a push, a fetch) with its own message, not the opening of a service.
     */
    public static MasterKeySealing configured(Settings settings) {
        return new MasterKeySealing(settings, null);
    }

    /** Sealing under {@code master}. */
    public static MasterKeySealing under(MasterKey master) {
        return new MasterKeySealing(Settings.empty(), Optional.of(sealer(master)));
    }

    /** No master key: clear files are read as they are, sealed ones refused. */
    static MasterKeySealing withoutKey() {
        return new MasterKeySealing(Settings.empty(), Optional.empty());
    }

    /** For {@link java.util.ServiceLoader}: the sealing {@link LocalSealing#configured} finds. */
    public static final class Provider implements LocalSealing.Provider {
        @Override
        public LocalSealing configured(Settings settings) {
            return MasterKeySealing.configured(settings);
        }
    }

    private static Sealer sealer(MasterKey master) {
        byte[] material = master.derive(KEY_LABEL, MasterKey.LENGTH);
        try {
            int id = ByteBuffer.wrap(master.derive(ID_LABEL, 4)).getInt() & 0x7fffffff;
            return new Sealer(new ObjectCipher(new DataKey(Math.max(1, id), Instant.EPOCH, material)), master.source());
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    private Optional<Sealer> sealer() throws IOException {
        Optional<Sealer> found = sealer;
        if (found == null) {
            found = MasterKeys.find(settings).map(MasterKeySealing::sealer);
            sealer = found;
        }
        return found;
    }

    @Override
    public boolean active() throws IOException {
        return sealer().isPresent();
    }

    /** Sealed with a master key, {@code plain} itself without one. */
    @Override
    public InputStream sealing(InputStream plain, String name) throws IOException {
        Optional<Sealer> found = sealer();
        return found.isEmpty() ? plain : found.get().cipher().encrypting(plain, associated(name));
    }

    /**
     * With a master key the file must be sealed under it: a clear file,
     * or one that fails authentication (while reading, up to its end), is a
     * {@link CorruptObjectException}; one sealed under another master key an
     * {@link EncryptionKeyException}. Without a key a sealed file is an {@link EncryptionKeyException}
     * and a clear one is read as it is.
     */
    @Override
    public InputStream unsealing(InputStream stored, String name, String description) throws IOException {
        Decoding.Source source = Decoding.source(stored);
        PushbackInputStream in = new PushbackInputStream(source, ObjectCipher.HEADER_LENGTH);
        try {
            byte[] first = in.readNBytes(ObjectCipher.HEADER_LENGTH);
            OptionalInt id;
            try {
                id = ObjectCipher.keyIdOf(first);
            } catch (CorruptObjectException e) {
                throw new CorruptObjectException(description + ": " + e.getMessage(), e);
            }
            Optional<Sealer> found = sealer();
            if (id.isEmpty()) {
                if (found.isPresent()) {
                    throw new CorruptObjectException(description + " is not sealed, though an encryption key is set"
                            + " (walstash then seals every WAL file it keeps on local disk): written before the key"
                            + " was set, or replaced");
                }
                in.unread(first);
                return in;
            }
            if (found.isEmpty()) {
                throw EncryptionKeyException.missing(description + " is sealed (encrypted)");
            }
            if (id.getAsInt() != found.get().cipher().keyId()) {
                throw new EncryptionKeyException(description + " was sealed under another master key than the one from "
                        + found.get().source() + " (the master key was changed or rotated since)");
            }
            return found.get().cipher().decrypting(in, source, associated(name), description + " (sealed)");
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static String associated(String name) {
        return "local/" + name;
    }
}
