package io.walstash.core.archive.walg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.config.Settings;
import io.walstash.core.config.WalGSettings;
import io.walstash.core.testing.WalGLibsodium;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * walstash's pure-Java reader of WAL-G's libsodium encryption against libsodium itself: every
 * stream here was written by the C program {@link WalGLibsodium} builds, framed as WAL-G frames it.
 */
class WalGEncryptionTest {
    private static final int CHUNK = SecretStreamInputStream.CHUNK;
    private static final byte[] KEY = bytes(32, 1);
    private static final String OBJECT = "object wal_005/000000010000000000000003.lz4";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 15, 16, 17, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 4097, 1 << 20})
    void decryptsWhatLibsodiumEncryptedAsWalGDoes(int length) throws IOException {
        byte[] plain = bytes(length, length);
        byte[] encrypted = WalGLibsodium.encrypt(KEY, plain);
        // WAL-G's framing: the header, full chunks as they filled, then a FINAL chunk with the rest
        assertThat(encrypted).hasSize(SecretStream.HEADER_BYTES + (length / CHUNK + 1) * SecretStream.A_BYTES + length);

        assertThat(decrypt(KEY, encrypted)).isEqualTo(plain);
    }

    @Test
    void theDeclaredKeyTransformsAreTheOnesDecryptionKnows() {
        // the declaration lives in config (loaded by every client) and names them as literals
        for (String name : WalGEncryption.KeyTransform.names()) {
            assertThat(WalGSettings.KEY_TRANSFORM.get(Settings.of(Map.of("WALG_LIBSODIUM_KEY_TRANSFORM", name)))).isEqualTo(name);
        }
        assertThat(WalGEncryption.KeyTransform.names()).containsExactlyInAnyOrder("none", "base64", "hex");
    }

    @Test
    void aRekeyTagIsFollowedAsLibsodiumFollowsIt() throws IOException {
        byte[] plain = bytes(5 * CHUNK + 100, 7);
        assertThat(decrypt(KEY, WalGLibsodium.encrypt(KEY, plain, "--rekey-at", "2"))).isEqualTo(plain);
    }

    @Test
    void hchacha20MatchesTheXChaChaDraftsTestVector() {
        // draft-irtf-cfrg-xchacha-03, section 2.2.1
        byte[] key = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        byte[] input = HexFormat.of().parseHex("000000090000004a0000000031415927");
        byte[] out = new byte[32];
        SecretStream.hchacha20(key, input, out);
        assertThat(HexFormat.of().formatHex(out))
                .isEqualTo("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
    }

    @Test
    void aWrongKeyFailsOnTheFirstChunkAndTheMessageHoldsNoKey() {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(3 * CHUNK, 2));
        byte[] wrong = bytes(32, 99);

        assertThatThrownBy(() -> decrypt(wrong, encrypted))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageStartingWith(OBJECT + " does not decrypt: chunk 1 of its libsodium stream fails authentication")
                .hasMessageContaining("not the one WAL-G encrypted it with")
                .satisfies(e -> assertNoKeyIn(e.getMessage(), wrong));
    }

    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {0, 23, 24, 25, 24 + 8000, 24 + CHUNK + 16, 24 + CHUNK + 17, -1})
    void anyFlippedByteIsRefused(int offset) {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(2 * CHUNK + 300, 3));
        int at = offset < 0 ? encrypted.length + offset : offset;
        encrypted[at] ^= 0x01;

        assertThatThrownBy(() -> decrypt(KEY, encrypted))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(OBJECT)
                .hasMessageContaining("fails authentication");
    }

    @Test
    void aStreamCutAtAChunkBoundaryIsTruncated() {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(3 * CHUNK + 10, 4));
        byte[] cut = Arrays.copyOf(encrypted, SecretStream.HEADER_BYTES + 2 * (CHUNK + SecretStream.A_BYTES));

        assertThatThrownBy(() -> decrypt(KEY, cut))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessage(OBJECT + " ends after 2 chunks of its libsodium stream without the final one: truncated");
    }

    @Test
    void aStreamCutWithinAChunkFailsItsAuthentication() {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(3 * CHUNK + 10, 4));
        byte[] cut = Arrays.copyOf(encrypted, encrypted.length - 5);

        assertThatThrownBy(() -> decrypt(KEY, cut))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("chunk 4 of its libsodium stream fails authentication");
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {100, 2 * CHUNK, 2 * CHUNK + 100})
    void aStreamWhoseLastChunkIsNotTaggedFinalIsRefused(int length) {
        // authentic chunk by chunk, as WAL-G's own reader would accept it: only the missing tag tells
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(length, 5), "--no-final");

        assertThatThrownBy(() -> decrypt(KEY, encrypted))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageEndingWith("without the final one: truncated");
    }

    @Test
    void bytesAppendedToTheStreamAreRefused() {
        // they lengthen WAL-G's short final chunk, whose MAC then fails
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(CHUNK + 10, 6));
        byte[] longer = Arrays.copyOf(encrypted, encrypted.length + 1);

        assertThatThrownBy(() -> decrypt(KEY, longer))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining("chunk 2 of its libsodium stream fails authentication");
    }

    @Test
    void anotherChunkSizeThanWalGsIsRefused() {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(3 * CHUNK, 6), "--chunk", "4096");

        assertThatThrownBy(() -> decrypt(KEY, encrypted)).isInstanceOf(CorruptObjectException.class);
    }

    @Test
    void anObjectShorterThanTheHeaderIsRefused() {
        assertThatThrownBy(() -> decrypt(KEY, new byte[10]))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessage(OBJECT + " is too short for WAL-G's libsodium encryption: 10 bytes, less than its 24-byte header");
    }

    @Test
    void aFailureToReadTheStoredBytesPassesUnchanged() {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(3 * CHUNK, 8));
        IOException reset = new IOException("connection reset");
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(encrypted, 0, CHUNK)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    throw reset;
                }
                return n;
            }
        };

        assertThatThrownBy(() -> WalGEncryption.ofKey(KEY).decrypting(failing, OBJECT).readAllBytes()).isSameAs(reset);
    }

    @Test
    void plainBytesOfAChunkAreReleasedOnlyOnceItAuthenticated() throws IOException {
        byte[] encrypted = WalGLibsodium.encrypt(KEY, bytes(2 * CHUNK + 10, 9));
        encrypted[SecretStream.HEADER_BYTES + 100] ^= 0x01;
        try (InputStream in = WalGEncryption.ofKey(KEY).decrypting(new ByteArrayInputStream(encrypted), OBJECT)) {
            assertThatThrownBy(() -> in.read(new byte[1])).isInstanceOf(CorruptObjectException.class);
        }
    }

    // ---- WAL-G's key settings ----

    @Test
    void base64KeyTransform() throws IOException {
        String text = Base64.getEncoder().encodeToString(KEY);
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", text, "WALG_LIBSODIUM_KEY_TRANSFORM", "base64"), KEY);
    }

    @Test
    void hexKeyTransformInEitherCase() throws IOException {
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", HexFormat.of().formatHex(KEY), "WALG_LIBSODIUM_KEY_TRANSFORM", "hex"), KEY);
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", HexFormat.of().withUpperCase().formatHex(KEY),
                "WALG_LIBSODIUM_KEY_TRANSFORM", "hex"), KEY);
    }

    @Test
    void noneIsWalGsDefaultAndTakesTheTextsBytes() throws IOException {
        String text = "0123456789abcdefghijklmnopqrstuv"; // 32 characters
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", text), text.getBytes(StandardCharsets.US_ASCII));
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", text, "WALG_LIBSODIUM_KEY_TRANSFORM", "none"),
                text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void noneZeroPadsShortTextAndCutsLongText() throws IOException {
        String shortText = "0123456789abcdefghijklmno"; // 25, WAL-G's least
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", shortText), Arrays.copyOf(shortText.getBytes(StandardCharsets.US_ASCII), 32));
        String longText = "0123456789abcdefghijklmnopqrstuvwxyzABCD"; // 40
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", longText), Arrays.copyOf(longText.getBytes(StandardCharsets.US_ASCII), 32));
    }

    @Test
    void keyFileIsReadWithoutItsSurroundingWhiteSpace() throws IOException {
        Path file = Files.writeString(dir.resolve("walg.key"), "  " + HexFormat.of().formatHex(KEY) + "\n");
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY_PATH", file.toString(), "WALG_LIBSODIUM_KEY_TRANSFORM", "hex"), KEY);
    }

    @Test
    void theKeyItselfWinsOverTheKeyFileAsInWalG() throws IOException {
        Path file = Files.writeString(dir.resolve("other.key"), HexFormat.of().formatHex(bytes(32, 50)));
        assertDecryptsWith(Map.of("WALG_LIBSODIUM_KEY", HexFormat.of().formatHex(KEY),
                "WALG_LIBSODIUM_KEY_PATH", file.toString(), "WALG_LIBSODIUM_KEY_TRANSFORM", "hex"), KEY);
    }

    @Test
    void noKeyNoDecryption() throws IOException {
        assertThat(WalGEncryption.configured(Settings.of(Map.of("WALG_LIBSODIUM_KEY_TRANSFORM", "hex")))).isEmpty();
    }

    @Test
    void keysThatDoNotTransformAreRefusedWithoutShowingThem() {
        String tooShort = "0123456789abcdefghijklmn"; // 24
        assertRefused(Map.of("WALG_LIBSODIUM_KEY", tooShort), tooShort,
                "WALG_LIBSODIUM_KEY holds 24 bytes; WAL-G's key transform none takes at least 25");
        String base64OfShort = Base64.getEncoder().encodeToString(bytes(31, 3));
        assertRefused(Map.of("WALG_LIBSODIUM_KEY", base64OfShort, "WALG_LIBSODIUM_KEY_TRANSFORM", "base64"), base64OfShort,
                "WALG_LIBSODIUM_KEY decodes to 31 bytes; WAL-G's libsodium key is 32");
        String notHex = "zz" + HexFormat.of().formatHex(KEY).substring(2);
        assertRefused(Map.of("WALG_LIBSODIUM_KEY", notHex, "WALG_LIBSODIUM_KEY_TRANSFORM", "hex"), notHex,
                "WALG_LIBSODIUM_KEY is not hexadecimal (WALG_LIBSODIUM_KEY_TRANSFORM is hex)");
        String notBase64 = "!!" + Base64.getEncoder().encodeToString(KEY);
        assertRefused(Map.of("WALG_LIBSODIUM_KEY", notBase64, "WALG_LIBSODIUM_KEY_TRANSFORM", "base64"), notBase64,
                "WALG_LIBSODIUM_KEY is not base64 (WALG_LIBSODIUM_KEY_TRANSFORM is base64)");
        assertThatThrownBy(() -> firstUse(Map.of("WALG_LIBSODIUM_KEY", "x".repeat(32), "WALG_LIBSODIUM_KEY_TRANSFORM", "rot13")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("WALG_LIBSODIUM_KEY_TRANSFORM must be none, base64 or hex, not rot13");
    }

    @Test
    void aKeyFilesProblemNamesTheFileNotTheKey() throws IOException {
        Path file = Files.writeString(dir.resolve("short.key"), "not-a-32-byte-key\n");
        assertThatThrownBy(() -> firstUse(Map.of("WALG_LIBSODIUM_KEY_PATH", file.toString())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the key file " + file + " (WALG_LIBSODIUM_KEY_PATH) holds 17 bytes; WAL-G's key transform none"
                        + " takes at least 25 (or set WALG_LIBSODIUM_KEY_TRANSFORM to base64 or hex)");
        Map<String, String> absent = Map.of("WALG_LIBSODIUM_KEY_PATH", dir.resolve("absent.key").toString());
        assertThat(WalGEncryption.configured(Settings.of(absent))).as("read when first needed, not before").isPresent();
        assertThatThrownBy(() -> firstUse(absent)).isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void printingTheEncryptionShowsNoKey() throws IOException {
        WalGEncryption encryption = WalGEncryption.configured(Settings.of(Map.of("WALG_LIBSODIUM_KEY",
                HexFormat.of().formatHex(KEY), "WALG_LIBSODIUM_KEY_TRANSFORM", "hex"))).orElseThrow();
        assertNoKeyIn(encryption.toString(), KEY);
        assertThat(WalGSettings.KEY.secret()).isTrue();
    }

    private static void assertDecryptsWith(Map<String, String> settings, byte[] expectedKey) throws IOException {
        byte[] plain = bytes(CHUNK + 5, 11);
        byte[] encrypted = WalGLibsodium.encrypt(expectedKey, plain);
        WalGEncryption encryption = WalGEncryption.configured(Settings.of(settings)).orElseThrow();
        try (InputStream in = encryption.decrypting(new ByteArrayInputStream(encrypted), OBJECT)) {
            assertThat(in.readAllBytes()).isEqualTo(plain);
        }
    }

    private static void assertRefused(Map<String, String> settings, String keyText, String message) {
        assertThatThrownBy(() -> firstUse(settings))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(keyText));
    }

    /** The key is read and transformed on the first object decrypted. */
    private static void firstUse(Map<String, String> settings) throws IOException {
        WalGEncryption.configured(Settings.of(settings)).orElseThrow()
                .decrypting(new ByteArrayInputStream(new byte[0]), OBJECT).close();
    }

    private static void assertNoKeyIn(String text, byte[] key) {
        assertThat(text).doesNotContain(HexFormat.of().formatHex(key)).doesNotContain(Base64.getEncoder().encodeToString(key))
                .doesNotContain(new String(key, StandardCharsets.ISO_8859_1));
    }

    private static byte[] decrypt(byte[] key, byte[] encrypted) throws IOException {
        try (InputStream in = WalGEncryption.ofKey(key).decrypting(new ByteArrayInputStream(encrypted), OBJECT)) {
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
