package io.walstash.core.archive.walg;

import io.walstash.core.config.WalGSettings;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * WAL-G's libsodium encryption, read side only: WAL-G compresses, then encrypts each object with
 * {@code crypto_secretstream_xchacha20poly1305} under one static key (WAL-G's internal/crypto/libsodium),
 * and keeps the codec's extension as the object's name ({@code wal_005/<name>.lz4}). walstash reads
 * such objects when an operator migrating from WAL-G configures the key as WAL-G took it; it never
 * writes with it. The key is never printed: not by {@link #toString()}, not in a message.
 */
public final class WalGEncryption {
    /** Reads the key: on the first WAL-G object, so that a push, which never needs it, never fails on it. */
    private interface KeySource {
        byte[] load() throws IOException;
    }

    private final KeySource source;
    private byte[] key;

    private WalGEncryption(KeySource source) {
        this.source = source;
    }

    /**
     * How WAL-G turns the configured text into the 32-byte key ({@code WALG_LIBSODIUM_KEY_TRANSFORM};
     * WAL-G's default is {@link #NONE}).
     */
    public enum KeyTransform {
        /** The text's bytes as they are: 25 to 32 are zero-padded to 32, more are cut to 32, fewer refused. */
        NONE("none"),
        /** Standard base64 of exactly 32 bytes. */
        BASE64("base64"),
        /** Hexadecimal of exactly 32 bytes. */
        HEX("hex");

        /** WAL-G refuses shorter text under {@link #NONE}: too little to be a key. */
        static final int MINIMUM_PLAIN_LENGTH = 25;

        private final String setting;

        KeyTransform(String setting) {
            this.setting = setting;
        }

        static String[] names() {
            return Arrays.stream(values()).map(t -> t.setting).toArray(String[]::new);
        }

        static KeyTransform named(String name) {
            for (KeyTransform transform : values()) {
                if (transform.setting.equalsIgnoreCase(name)) {
                    return transform;
                }
            }
            throw new IllegalArgumentException("unknown key transform " + name);
        }

        /**
         * The key {@code text} stands for; fails with one line naming {@code source} (a setting or a
         * file) and what is wrong, never the text.
         */
        byte[] apply(byte[] text, String source) {
            byte[] key = switch (this) {
                case NONE -> {
                    if (text.length < MINIMUM_PLAIN_LENGTH) {
                        throw new IllegalArgumentException(source + " holds " + text.length + " bytes; WAL-G's key"
                                + " transform none takes at least " + MINIMUM_PLAIN_LENGTH + " (or set "
                                + WalGSettings.KEY_TRANSFORM.name() + " to base64 or hex)");
                    }
                    yield Arrays.copyOf(text, SecretStream.KEY_BYTES);
                }
                case BASE64 -> {
                    try {
                        yield Base64.getDecoder().decode(text);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(source + " is not base64 (" + WalGSettings.KEY_TRANSFORM.name()
                                + " is base64)");
                    }
                }
                case HEX -> {
                    try {
                        yield HexFormat.of().parseHex(new String(text, StandardCharsets.US_ASCII));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(source + " is not hexadecimal (" + WalGSettings.KEY_TRANSFORM.name()
                                + " is hex)");
                    }
                }
            };
            if (key.length != SecretStream.KEY_BYTES) {
                Arrays.fill(key, (byte) 0);
                throw new IllegalArgumentException(source + " decodes to " + key.length + " bytes; WAL-G's libsodium key is "
                        + SecretStream.KEY_BYTES);
            }
            return key;
        }
    }

    /**
     * The encryption {@code settings} configure, or empty when neither {@link WalGSettings#KEY} nor
     * {@link WalGSettings#KEY_PATH} is set. As in WAL-G, the key itself wins over the path, and a
     * key file's surrounding white space is not part of the key. The key is read and transformed
     * when first needed ({@link #decrypting}), and its failures are reported there.
     */
    public static Optional<WalGEncryption> configured(Settings settings) {
        Optional<Settings.Given> inline = settings.given(WalGSettings.KEY);
        if (inline.isPresent()) {
            return Optional.of(new WalGEncryption(() -> transform(settings).apply(
                    inline.get().value().getBytes(StandardCharsets.UTF_8), inline.get().name())));
        }
        Optional<String> path = WalGSettings.KEY_PATH.find(settings);
        if (path.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new WalGEncryption(() -> {
            byte[] text = strip(Files.readAllBytes(Path.of(path.get())));
            try {
                return transform(settings).apply(text, "the key file " + path.get() + " (" + WalGSettings.KEY_PATH.name() + ")");
            } finally {
                Arrays.fill(text, (byte) 0);
            }
        }));
    }

    private static KeyTransform transform(Settings settings) {
        return KeyTransform.named(WalGSettings.KEY_TRANSFORM.get(settings));
    }

    /** WAL-G's key, already transformed: 32 bytes (tests, embedding applications). */
    public static WalGEncryption ofKey(byte[] key) {
        if (key.length != SecretStream.KEY_BYTES) {
            throw new IllegalArgumentException("a libsodium key is " + SecretStream.KEY_BYTES + " bytes, not " + key.length);
        }
        byte[] copy = key.clone();
        return new WalGEncryption(() -> copy);
    }

    /**
     * The plain bytes (the codec's payload) of the WAL-G object {@code encrypted}: reading fails with
     * a {@code CorruptObjectException} naming {@code description} when the object does not decrypt
     * with this key, was altered, or is truncated, its final chunk missing. Closing it closes
     * {@code encrypted}.
     *
     * @throws IllegalArgumentException the configured key does not transform into a libsodium key
     * @throws IOException the key file cannot be read
     */
    public InputStream decrypting(InputStream encrypted, String description) throws IOException {
        return new SecretStreamInputStream(encrypted, key(), description);
    }

    private synchronized byte[] key() throws IOException {
        if (key == null) {
            key = source.load();
        }
        return key;
    }

    /** {@code text} without the white space around it (Go's strings.TrimSpace for ASCII, as WAL-G reads a key file). */
    private static byte[] strip(byte[] text) {
        int start = 0;
        int end = text.length;
        while (start < end && space(text[start])) {
            start++;
        }
        while (end > start && space(text[end - 1])) {
            end--;
        }
        byte[] stripped = Arrays.copyOfRange(text, start, end);
        Arrays.fill(text, (byte) 0);
        return stripped;
    }

    private static boolean space(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == 0x0B || b == '\f' || b == '\r';
    }

    /** Names the scheme, never the key. */
    @Override
    public String toString() {
        return "WalGEncryption(libsodium secretstream)";
    }
}
