package io.walstash.core.archive.walg;

import com.google.crypto.tink.aead.internal.Poly1305;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pulling side of libsodium's {@code crypto_secretstream_xchacha20poly1305}, the construction
 * WAL-G encrypts with, built from the JDK's ChaCha20 (RFC 8439, the IETF variant libsodium's stream
 * uses) and Tink's Poly1305, so that no native library is needed. One instance is the state of one
 * stream: a key derived from the 24-byte header (HChaCha20), a 32-bit chunk counter and an 8-byte
 * nonce that every chunk's tag advances. Each chunk is {@code tag(1) | ciphertext | mac(16)},
 * authenticated before a byte of it is released. No additional data: WAL-G passes none.
 *
 * <p>Why not the JDK's ChaCha20-Poly1305 AEAD: libsodium's stream authenticates a 64-byte block
 * holding the tag before the message and pads the message by its length modulo 16 (a slip its
 * source owns up to, kept for compatibility), where RFC 8439 pads to the block, so only a raw
 * Poly1305 reproduces its MAC. (BouncyCastle's ChaCha20 and Poly1305 did this before: a 6.7 MB jar
 * of 6,200 classes on every command's class path, which each search of the class path opens.)
 */
final class SecretStream {
    static final int KEY_BYTES = 32;
    static final int HEADER_BYTES = 24;
    /** What a chunk adds to its message: the encrypted tag byte and the 16-byte MAC. */
    static final int A_BYTES = 17;
    static final int TAG_MESSAGE = 0;
    static final int TAG_PUSH = 1;
    static final int TAG_REKEY = 2;
    static final int TAG_FINAL = TAG_PUSH | TAG_REKEY;

    private static final int BLOCK = 64;
    private static final int COUNTER_BYTES = 4;
    private static final int INONCE_BYTES = 8;
    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}; // "expand 32-byte k"

    private final byte[] key = new byte[KEY_BYTES];
    /** The ChaCha20-IETF nonce: counter (little-endian) then the inner nonce. */
    private final byte[] nonce = new byte[COUNTER_BYTES + INONCE_BYTES];
    private final Cipher chacha;
    private final byte[] zeros = new byte[BLOCK];
    private final byte[] block = new byte[BLOCK];
    private final byte[] polyKey = new byte[Poly1305.MAC_KEY_SIZE_IN_BYTES];

    /** {@code crypto_secretstream_xchacha20poly1305_init_pull}. */
    SecretStream(byte[] masterKey, byte[] header) {
        if (masterKey.length != KEY_BYTES || header.length != HEADER_BYTES) {
            throw new IllegalArgumentException("a secretstream needs a 32-byte key and a 24-byte header");
        }
        chacha = chacha20();
        hchacha20(chacha, masterKey, header, key);
        setCounter(1);
        System.arraycopy(header, 16, nonce, COUNTER_BYTES, INONCE_BYTES);
    }

    /**
     * {@code crypto_secretstream_xchacha20poly1305_pull}: authenticates the chunk {@code in[0..length)}
     * and decrypts its message into {@code out[0..length - A_BYTES)}.
     *
     * @return the chunk's tag (0..255), or -1 when the chunk is shorter than a tag and a MAC or fails
     *         authentication; the state then is unchanged and {@code out} holds nothing of it
     */
    int pull(byte[] in, int length, byte[] out) {
        if (length < A_BYTES) {
            return -1;
        }
        int messageLength = length - A_BYTES;
        // keystream block 0 keys Poly1305; block 1 encrypts the tag; the message starts at block 2
        keystream(chacha, key, 0, nonce);
        xor(chacha, zeros, 0, BLOCK, block, 0);
        System.arraycopy(block, 0, polyKey, 0, polyKey.length);
        xor(chacha, zeros, 0, BLOCK, block, 0);
        int tag = (in[0] ^ block[0]) & 0xFF;
        block[0] = in[0];
        // what libsodium authenticates: the encrypted tag block, the ciphertext, its pad (by the
        // message's length modulo 16, not to the block), no additional data, the lengths
        int pad = (0x10 - BLOCK + messageLength) & 0xf;
        byte[] authenticated = new byte[BLOCK + messageLength + pad + 16];
        System.arraycopy(block, 0, authenticated, 0, BLOCK);
        System.arraycopy(in, 1, authenticated, BLOCK, messageLength);
        ByteBuffer.wrap(authenticated, BLOCK + messageLength + pad, 16).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(0L).putLong(BLOCK + (long) messageLength);
        byte[] mac = Poly1305.computeMac(polyKey, authenticated);
        Arrays.fill(polyKey, (byte) 0);
        if (!MessageDigest.isEqual(Arrays.copyOfRange(in, 1 + messageLength, length), mac)) {
            return -1;
        }
        xor(chacha, in, 1, messageLength, out, 0);
        for (int i = 0; i < INONCE_BYTES; i++) {
            nonce[COUNTER_BYTES + i] ^= mac[i];
        }
        int counter = littleEndian(nonce, 0) + 1;
        setCounter(counter);
        if ((tag & TAG_REKEY) != 0 || counter == 0) {
            rekey();
        }
        return tag;
    }

    /** {@code crypto_secretstream_xchacha20poly1305_rekey}: key and inner nonce from their own encryption. */
    private void rekey() {
        byte[] material = new byte[KEY_BYTES + INONCE_BYTES];
        System.arraycopy(key, 0, material, 0, KEY_BYTES);
        System.arraycopy(nonce, COUNTER_BYTES, material, KEY_BYTES, INONCE_BYTES);
        keystream(chacha, key, 0, nonce);
        xor(chacha, material, 0, material.length, material, 0);
        System.arraycopy(material, 0, key, 0, KEY_BYTES);
        System.arraycopy(material, KEY_BYTES, nonce, COUNTER_BYTES, INONCE_BYTES);
        Arrays.fill(material, (byte) 0);
        setCounter(1);
    }

    private void setCounter(int counter) {
        ByteBuffer.wrap(nonce, 0, COUNTER_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(counter);
    }

    /** Forgets the stream's key. */
    void destroy() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(block, (byte) 0);
        Arrays.fill(polyKey, (byte) 0);
    }

    /** XORs {@code length} bytes of {@code input} with {@code chacha}'s keystream into {@code output}. */
    private static void xor(Cipher chacha, byte[] input, int offset, int length, byte[] output, int outputOffset) {
        try {
            chacha.update(input, offset, length, output, outputOffset);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Cipher chacha20() {
        try {
            return Cipher.getInstance("ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's ChaCha20 is not available: " + e.getMessage(), e);
        }
    }

    /**
     * Sets {@code chacha} to XOR the ChaCha20-IETF keystream of {@code key} and {@code ietfNonce} from
     * block {@code counter}. A stream cipher XORs the same either way; decrypt mode, because the JDK's ChaCha20 refuses to
     * encrypt twice under one key and nonce, which reading (and HChaCha20) rightly does.
     */
    private static void keystream(Cipher chacha, byte[] key, int counter, byte[] ietfNonce) {
        try {
            chacha.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new ChaCha20ParameterSpec(ietfNonce, counter));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK's ChaCha20 refused a key: " + e.getMessage(), e);
        }
    }

    /**
     * HChaCha20 of the header's first 16 bytes under {@code masterKey}: ChaCha20's rounds over that
     * input, words 0-3 and 12-15 without the final addition. ChaCha20-IETF's state holds exactly that
     * input when its counter is the input's first word and its nonce the other three, and its block
     * is the rounds' output plus the state: the state's words are taken off again.
     */
    static void hchacha20(byte[] masterKey, byte[] input16, byte[] out) {
        hchacha20(chacha20(), masterKey, input16, out);
    }

    private static void hchacha20(Cipher chacha, byte[] masterKey, byte[] input16, byte[] out) {
        keystream(chacha, masterKey, littleEndian(input16, 0), Arrays.copyOfRange(input16, 4, 16));
        byte[] block = new byte[BLOCK];
        xor(chacha, new byte[BLOCK], 0, BLOCK, block, 0);
        ByteBuffer words = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer result = ByteBuffer.wrap(out, 0, KEY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) {
            result.putInt(4 * i, words.getInt(4 * i) - SIGMA[i]);
            result.putInt(16 + 4 * i, words.getInt(48 + 4 * i) - littleEndian(input16, 4 * i));
        }
        Arrays.fill(block, (byte) 0);
    }

    private static int littleEndian(byte[] bytes, int offset) {
        return ByteBuffer.wrap(bytes, offset, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
}
