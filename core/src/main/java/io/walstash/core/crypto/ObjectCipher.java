package io.walstash.core.crypto;

import com.google.crypto.tink.subtle.AesGcmHkdfStreaming;
import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.Decoding;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.CompressingInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;

/**
 * The encrypted form of one stored object: a clear header naming the data key, then Tink's
 * streaming AEAD (AES256_GCM_HKDF, {@value #SEGMENT}-byte segments, a fresh random salt and nonce
 * prefix per object) over the bytes walstash would otherwise store (already compressed). The
 * associated data is the header and the object's storage key, so a flipped, truncated, reordered
 * or renamed (swapped) object fails to decrypt.
 *
 * <p>Header (13 bytes): the 8 ASCII bytes {@code WALSTENC}, a format version byte (1), and the data
 * key id as a big-endian 32-bit integer.
 */
public final class ObjectCipher {
    public static final int HEADER_LENGTH = 13;
    /** Ciphertext segment: 16 bytes of tag each, so 0.02 % overhead; small enough to keep many streams cheap. */
    public static final int SEGMENT = 64 * 1024;
    private static final byte[] MAGIC = "WALSTENC".getBytes(StandardCharsets.US_ASCII);
    private static final byte VERSION = 1;
    private static final String ALGORITHM = "aes256-gcm-hkdf";

    private final DataKey key;
    private final AesGcmHkdfStreaming aead;

    public ObjectCipher(DataKey key) {
        this.key = key;
        byte[] material = key.material();
        try {
            this.aead = streaming(material);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /** The streaming AEAD of this format over data key {@code material}: AES256_GCM_HKDF, {@value #SEGMENT}-byte segments. */
    static AesGcmHkdfStreaming streaming(byte[] material) {
        try {
            return new AesGcmHkdfStreaming(material, "HmacSha256", MasterKey.LENGTH, SEGMENT, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES256_GCM_HKDF streaming is not available: " + e.getMessage(), e);
        }
    }

    public int keyId() {
        return key.id();
    }

    /** The header of an object encrypted with data key {@code keyId}. */
    static byte[] header(int keyId) {
        return ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).put(VERSION).putInt(keyId).array();
    }

    /**
     * The data key id {@code first} (an object's first bytes) names, or empty when the object is not
     * encrypted (written before encryption was turned on).
     */
    public static OptionalInt keyIdOf(byte[] first) throws IOException {
        if (first.length < MAGIC.length || !Arrays.equals(first, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return OptionalInt.empty();
        }
        if (first.length < HEADER_LENGTH) {
            throw new CorruptObjectException("encryption header is truncated: " + first.length + " of "
                    + HEADER_LENGTH + " bytes");
        }
        if (first[MAGIC.length] != VERSION) {
            throw new IOException("encryption format " + first[MAGIC.length] + " is not known to this walstash;"
                    + " upgrade walstash to read it");
        }
        return OptionalInt.of(ByteBuffer.wrap(first, MAGIC.length + 1, 4).getInt());
    }

    /** Reading it yields the stored form of {@code plain} under storage key {@code objectKey}: header, then ciphertext. */
    public InputStream encrypting(InputStream plain, String objectKey) throws IOException {
        byte[] header = header(key.id());
        return new SequenceInputStream(new ByteArrayInputStream(header),
                new CompressingInputStream(plain, new AsCodec(associatedData(header, objectKey))));
    }

    /**
     * The plain bytes of {@code ciphertext} (what follows the header) of the object stored under
     * {@code objectKey}, read from {@code source}; bytes that fail authentication, or end early, fail
     * with a {@link CorruptObjectException} naming it.
     */
    public InputStream decrypting(InputStream ciphertext, Decoding.Source source, String objectKey) throws IOException {
        return decrypting(ciphertext, source, objectKey, "object " + objectKey + " (encrypted)");
    }

    /** As above; {@code description} names the bytes in messages (a local file rather than an object). */
    InputStream decrypting(InputStream ciphertext, Decoding.Source source, String objectKey, String description)
            throws IOException {
        return Decoding.decode(ciphertext, source, new AsCodec(associatedData(header(key.id()), objectKey)), description);
    }

    /**
     * {@code length} plain bytes from {@code offset} of the object under {@code objectKey}, whose
     * ciphertext (after the header) {@code ciphertext} reads at any position: only the segments
     * that hold the range are fetched and authenticated.
     */
    public InputStream decryptingRange(SeekableByteChannel ciphertext, BooleanSupplier sourceFailed, String objectKey,
                                       long offset, long length) throws IOException {
        String description = "object " + objectKey + " (encrypted)";
        SeekableByteChannel plain;
        try {
            plain = aead.newSeekableDecryptingChannel(ciphertext, associatedData(header(key.id()), objectKey));
            plain.position(offset);
        } catch (GeneralSecurityException e) {
            throw new CorruptObjectException(description + " does not decrypt: " + e.getMessage(), e);
        }
        return new RangeStream(Channels.newInputStream(plain), length, sourceFailed, description);
    }

    private static byte[] associatedData(byte[] header, String objectKey) {
        byte[] name = objectKey.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(header.length + name.length).put(header).put(name).array();
    }

    /** The streaming AEAD as a "codec", so the pump of {@link CompressingInputStream} and {@link Decoding} serve it too. */
    private final class AsCodec implements Codec {
        private final byte[] associatedData;

        AsCodec(byte[] associatedData) {
            this.associatedData = associatedData;
        }

        @Override
        public String name() {
            return ALGORITHM;
        }

        @Override
        public String fileExtension() {
            return "";
        }

        @Override
        public OutputStream compress(OutputStream out) throws IOException {
            try {
                return SegmentStreams.encrypting(aead, out, associatedData);
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot encrypt: " + e.getMessage(), e);
            }
        }

        @Override
        public InputStream decompress(InputStream in) throws IOException {
            try {
                return SegmentStreams.decrypting(aead, in, associatedData);
            } catch (GeneralSecurityException e) {
                throw new CorruptObjectException("cannot decrypt: " + e.getMessage(), e);
            }
        }
    }

    /** At most {@code length} bytes of a decrypting channel; a failure not the source's is a corrupt object. */
    private static final class RangeStream extends io.walstash.core.io.BlockFilterInputStream {
        private final BooleanSupplier sourceFailed;
        private final String description;
        private long left;

        RangeStream(InputStream in, long length, BooleanSupplier sourceFailed, String description) {
            super(in);
            this.left = length;
            this.sourceFailed = sourceFailed;
            this.description = description;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            try {
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            } catch (CorruptObjectException e) {
                throw e;
            } catch (IOException e) {
                if (sourceFailed.getAsBoolean()) {
                    throw e;
                }
                throw new CorruptObjectException(description + " does not decrypt: " + e.getMessage(), e);
            }
        }
    }
}
