package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.Decoding;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.CompressingInputStream;
import io.walstash.core.crypto.DataKey;
import io.walstash.core.crypto.ObjectCipher;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Compress-then-encrypt as walstash stores objects, and back, for every codec and for sizes on
 * and around the streaming AEAD's segment boundaries (with {@code none}, the cipher sees the plain
 * sizes themselves).
 */
class EncryptionRoundTripPropertiesTest {
    private static final String KEY = "backups/base_000000010000000000000002/files/base/1/16384.zst";
    /** Plain bytes in Tink's first segment: the segment less its header (1 + 32 salt + 7 nonce prefix) and tag. */
    private static final int FIRST = ObjectCipher.SEGMENT - 40 - 16;
    private static final int NEXT = ObjectCipher.SEGMENT - 16;
    private static final ObjectCipher CIPHER = new ObjectCipher(new DataKey(1, Instant.EPOCH, bytes(32, 99)));

    @Property(tries = 60)
    void everyCodecRoundTripsThroughTheCipher(@ForAll("codecs") Codec codec, @ForAll("sizes") int size,
                                              @ForAll long seed) throws IOException {
        byte[] plain = bytes(size, seed);
        assertThat(decrypt(codec, encrypt(codec, new ByteArrayInputStream(plain)))).isEqualTo(plain);
    }

    @Example
    void sixteenMebibytesRoundTrip() throws Exception {
        Codec none = TestCodecs.all().stream().filter(c -> c.name().equals("none")).findFirst().orElseThrow();
        byte[] plain = bytes(16 << 20, 16);
        byte[] stored = encrypt(none, new ByteArrayInputStream(plain));
        assertThat(stored.length).isGreaterThan(plain.length); // a tag per segment, a header: nothing dropped
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        assertThat(digest.digest(decrypt(none, stored))).isEqualTo(MessageDigest.getInstance("SHA-256").digest(plain));
    }

    private static byte[] encrypt(Codec codec, InputStream plain) throws IOException {
        try (InputStream stored = CIPHER.encrypting(new CompressingInputStream(plain, codec), KEY)) {
            return stored.readAllBytes();
        }
    }

    private static byte[] decrypt(Codec codec, byte[] stored) throws IOException {
        Decoding.Source source = Decoding.source(new ByteArrayInputStream(stored));
        assertThat(ObjectCipher.keyIdOf(source.readNBytes(ObjectCipher.HEADER_LENGTH))).hasValue(1);
        try (InputStream in = codec.decompress(CIPHER.decrypting(source, source, KEY))) {
            return in.readAllBytes();
        }
    }

    @Provide
    Arbitrary<Codec> codecs() {
        return Arbitraries.of(TestCodecs.all());
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(1, Arbitraries.of(0, 1)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(-2, 2).map(d -> FIRST + d)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(-2, 2).map(d -> FIRST + NEXT + d)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 400_000)));
    }

    private static byte[] bytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
