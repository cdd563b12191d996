package io.walstash.core.crypto;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import com.google.crypto.tink.subtle.AesGcmJce;
import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.config.Settings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * The one-time set-up of the ciphers, done on a thread of its own while the command is still
 * reading its command line and configuration. Whatever an encrypted command first reads or writes
 * waited for it: Tink's first class (whose java.util.logging logger makes the JDK search the whole
 * class path for a logging back-end), the JCA's provider list and AES-GCM engine, HMAC-SHA256 for
 * HKDF, the secure random source; about 40 ms of CPU in an encrypted scale-30 backup-fetch, all on
 * the path to its first byte (the keyring's unwrap).
 *
 * <p>It encrypts and decrypts a few bytes under a throwaway all-zero key: no key of the repository
 * is read or touched, nothing is stored, and a failure here is ignored (the command meets any real
 * problem itself, with its own message). Two threads that need a class at once share its
 * initialisation, so the command never does this work twice.
 */
public final class CipherWarmup {
    private static final byte[] ASSOCIATED = "walstash cipher warm-up".getBytes(StandardCharsets.US_ASCII);
    /**
     * Decryptions after the first: enough calls for C2 to compile the JDK's GHASH and counter-mode
     * methods (the launcher scales their thresholds down to about 50 calls), so that the command's
     * first object is decrypted by C2 code, which uses the processor's carry-less multiply and AES
     * instructions. A one-shot encrypted wal-fetch spent 22 ms decrypting its object in C1 and
     * interpreted GHASH (1.7 MB, 27 segments); with this, 5 ms. The calls cost a few ms on this thread.
     */
    static final int REPEATS = 100;

    private CipherWarmup() {
    }

    /** Whether {@code environment} names a master key (where the command's key most often comes from). */
    public static boolean keyNamedIn(Settings environment) {
        return EncryptionSettings.KEY.find(environment).isPresent() || EncryptionSettings.KEY_FILE.find(environment).isPresent();
    }

    /** Starts the warm-up on a daemon thread (it never holds the command's exit) and returns that thread at once. */
    public static Thread start() {
        Thread thread = ThreadPools.thread("walstash-cipher-warmup", CipherWarmup::run, ThreadPools.Kind.DAEMON);
        thread.start();
        return thread;
    }

    /** The warm-up itself: true when every step worked (for tests; the command ignores it). */
    static boolean run() {
        byte[] throwaway = new byte[MasterKey.LENGTH];
        try {
            // the keyring's AEAD (AES-256-GCM, random nonce)
            AesGcmJce keyring = new AesGcmJce(throwaway);
            byte[] sealed = keyring.encrypt(ASSOCIATED, ASSOCIATED);
            boolean keyringRoundTrip = Arrays.equals(keyring.decrypt(sealed, ASSOCIATED), ASSOCIATED);
            // the objects' streaming AEAD (HKDF-SHA256 per object, AES-GCM segments)
            AesGcmHkdfStreaming objects = ObjectCipher.streaming(throwaway);
            ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();
            try (OutputStream out = SegmentStreams.encrypting(objects, ciphertext, ASSOCIATED)) {
                out.write(ASSOCIATED);
            }
            byte[] plain;
            try (InputStream in = SegmentStreams.decrypting(objects, new ByteArrayInputStream(ciphertext.toByteArray()), ASSOCIATED)) {
                plain = in.readAllBytes();
            }
            boolean repeated = true;
            for (int i = 0; i < REPEATS; i++) { // decryption only: no random bytes drawn
                repeated &= Arrays.equals(keyring.decrypt(sealed, ASSOCIATED), ASSOCIATED);
            }
            return keyringRoundTrip && Arrays.equals(plain, ASSOCIATED) && repeated;
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return false;
        }
    }
}
