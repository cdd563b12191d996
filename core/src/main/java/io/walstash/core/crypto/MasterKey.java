package io.walstash.core.crypto;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.subtle.AesGcmJce;
import com.google.crypto.tink.subtle.Hkdf;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The key that wraps a repository's data keys (it never encrypts data itself): 32 random bytes,
 * written as base64. Its {@link #toString} names only where it came from: the bytes never reach a
 * message or a log.
 */
public final class MasterKey {
    public static final int LENGTH = 32;

    private final byte[] bytes;
    private final String source;

    private MasterKey(byte[] bytes, String source) {
        this.bytes = bytes;
        this.source = source;
    }

    /**
     * Parses the base64 text of a key; {@code source} names where it came from in messages (a setting
     * name, a file), since the text itself never may.
     */
    public static MasterKey parse(String base64, String source) {
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " is not base64 (`walstash key generate` prints a key)");
        }
        if (decoded.length != LENGTH) {
            Arrays.fill(decoded, (byte) 0);
            throw new IllegalArgumentException(source + " must be the base64 of " + LENGTH + " bytes, it holds "
                    + decoded.length + " (`walstash key generate` prints a key)");
        }
        return new MasterKey(decoded, source);
    }

    /** A fresh random key. */
    public static MasterKey generate() {
        byte[] fresh = new byte[LENGTH];
        Random.SOURCE.nextBytes(fresh);
        return new MasterKey(fresh, "a generated key");
    }

    /** The key as users give it: only for `key generate`, which prints it for the user to store. */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Where the key came from: a setting's name or a file, never its bytes. */
    public String source() {
        return source;
    }

    /** AES-256-GCM (Tink) under this key, for sealing the keyring. */
    Aead aead() throws GeneralSecurityException {
        return new AesGcmJce(bytes);
    }

    /**
     * {@code length} bytes derived from this key for the purpose {@code label} names (HKDF-SHA256):
     * a key of its own for each purpose, so the master key itself still only wraps keyrings.
     */
    byte[] derive(String label, int length) {
        try {
            return Hkdf.computeHkdf("HMACSHA256", bytes, new byte[0], label.getBytes(StandardCharsets.US_ASCII), length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 is not available: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "MasterKey[from " + source + "]";
    }

    /**
     * The random source, made on first use: only a new key needs it, and making one (the JDK's
     * provider list, its seed) is work a command that only reads its key from a file never does.
     */
    private static final class Random {
        static final SecureRandom SOURCE = new SecureRandom();
    }
}
