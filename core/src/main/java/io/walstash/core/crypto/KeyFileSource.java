package io.walstash.core.crypto;

import io.walstash.core.config.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;

/**
 * The master key read from the file {@code WALSTASH_ENCRYPTION_KEY_FILE} names: what a
 * restore_command carries instead of the key. A file others may read is refused, as ssh refuses
 * such a private key.
 */
public final class KeyFileSource implements MasterKeySource {
    private static final int MAX_FILE = 4096;

    @Override
    public String name() {
        return EncryptionSettings.KEY_FILE.name();
    }

    @Override
    public Optional<MasterKey> find(Settings settings) throws IOException {
        Optional<Settings.Given> given = settings.given(EncryptionSettings.KEY_FILE);
        if (given.isEmpty()) {
            return Optional.empty();
        }
        Path file = Path.of(given.get().value());
        return Optional.of(read(file, given.get().name() + " " + file));
    }

    /** Reads a key file; {@code source} names it in messages. */
    public static MasterKey read(Path file, String source) throws IOException {
        try {
            if (Files.getPosixFilePermissions(file).contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException(source + " is readable by other users; chmod o-r it (0600 or 0640)");
            }
        } catch (UnsupportedOperationException notPosix) {
            // a file system without POSIX permissions: nothing to check
        }
        byte[] content;
        try (var in = Files.newInputStream(file)) {
            content = in.readNBytes(MAX_FILE + 1);
        }
        if (content.length > MAX_FILE) {
            throw new IllegalArgumentException(source + " is larger than a key file can be");
        }
        return MasterKey.parse(new String(content, StandardCharsets.US_ASCII), source);
    }
}
