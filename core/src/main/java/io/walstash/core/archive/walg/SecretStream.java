package io.walstash.core.archive.walg;

import java.security.MessageDigest;
import java.util.Arrays;
import org.bouncycastle.crypto.engines.ChaCha7539Engine;
import org.bouncycastle.crypto.engines.ChaChaEngine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.util.Pack;

/**
 * The pulling side of libsodium's {@code crypto_secretstream_xchacha20poly1305}, the construction
 * WAL-G encrypts with, built from BouncyCastle's ChaCha20 and Poly1305 so that no native library is
 * needed. One instance is the state of one stream: a key derived from the 24-byte header
 * (HChaCha20), a 32-bit chunk counter and an 8-byte nonce that every chunk's tag advances. Each
 * chunk is {@code tag(1) | ciphertext | mac(16)}, authenticated before a byte of it is released.
 * No additional data: WAL-G passes none.
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
    private final ChaCha7539Engine chacha = new ChaCha7539Engine();
    private final Poly1305 poly1305 = new Poly1305();
    private final byte[] block = new byte[BLOCK];
    private final byte[] mac = new byte[16];

    /** {@code crypto_secretstream_xchacha20poly1305_init_pull}. */
    SecretStream(byte[] masterKey, byte[] header) {
        if (masterKey.length != KEY_BYTES || header.length != HEADER_BYTES) {
            throw new IllegalArgumentException("a secretstream needs a 32-byte key and a 24-byte header");
        }
        hchacha20(masterKey, header, key);
        resetCounter();
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
        chacha.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        // keystream block 0 keys Poly1305; block 1 encrypts the tag; the message starts at block 2
        Arrays.fill(block, (byte) 0);
        chacha.processBytes(block, 0, BLOCK, block, 0);
        poly1305.init(new KeyParameter(block, 0, 32));
        Arrays.fill(block, (byte) 0);
        block[0] = in[0];
        chacha.processBytes(block, 0, BLOCK, block, 0);
        int tag = block[0] & 0xFF;
        block[0] = in[0];
        poly1305.update(block, 0, BLOCK);
        poly1305.update(in, 1, messageLength);
        // libsodium pads by (16 - 64 + length) mod 16, not to the block: its own comment calls this
        // a slip, kept for compatibility; a reader must pad alike or no MAC matches
        Arrays.fill(block, (byte) 0);
        poly1305.update(block, 0, (0x10 - BLOCK + messageLength) & 0xf);
        byte[] lengths = new byte[16];
        Pack.longToLittleEndian(0L, lengths, 0); // no additional data
        Pack.longToLittleEndian(BLOCK + (long) messageLength, lengths, 8);
        poly1305.update(lengths, 0, lengths.length);
        poly1305.doFinal(mac, 0);
        if (!MessageDigest.isEqual(Arrays.copyOfRange(in, 1 + messageLength, length), mac)) {
            return -1;
        }
        chacha.processBytes(in, 1, messageLength, out, 0);
        for (int i = 0; i < INONCE_BYTES; i++) {
            nonce[COUNTER_BYTES + i] ^= mac[i];
        }
        int counter = Pack.littleEndianToInt(nonce, 0) + 1;
        Pack.intToLittleEndian(counter, nonce, 0);
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
        chacha.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        chacha.processBytes(material, 0, material.length, material, 0);
        System.arraycopy(material, 0, key, 0, KEY_BYTES);
        System.arraycopy(material, KEY_BYTES, nonce, COUNTER_BYTES, INONCE_BYTES);
        Arrays.fill(material, (byte) 0);
        resetCounter();
    }

    private void resetCounter() {
        Pack.intToLittleEndian(1, nonce, 0);
    }

    /** Forgets the stream's key. */
    void destroy() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(block, (byte) 0);
    }

    /**
     * HChaCha20 of the header's first 16 bytes under {@code masterKey}: ChaCha20's rounds over that
     * input, words 0-3 and 12-15 without the final addition. BouncyCastle's core adds the input back,
     * so it is taken off again.
     */
    static void hchacha20(byte[] masterKey, byte[] input16, byte[] out) {
        int[] state = new int[16];
        System.arraycopy(SIGMA, 0, state, 0, 4);
        Pack.littleEndianToInt(masterKey, 0, state, 4, 8);
        Pack.littleEndianToInt(input16, 0, state, 12, 4);
        int[] x = new int[16];
        ChaChaEngine.chachaCore(20, state, x);
        for (int i = 0; i < 4; i++) {
            Pack.intToLittleEndian(x[i] - state[i], out, 4 * i);
            Pack.intToLittleEndian(x[12 + i] - state[12 + i], out, 16 + 4 * i);
        }
        Arrays.fill(state, 0);
        Arrays.fill(x, 0);
    }
}
