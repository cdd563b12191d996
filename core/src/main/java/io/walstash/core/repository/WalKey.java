package io.walstash.core.repository;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.wal.WalFileName;
import java.util.Objects;
import java.util.Optional;

/**
 * A stored key under a WAL folder, read: the folder, the WAL file it holds, and the extension after
 * the WAL file name ({@code ""} when there is none, as WAL-G may store it). This is the one place a
 * WAL object's key is taken apart.
 *
 * @param key       the whole stored key
 * @param extension what follows the WAL file name and its dot; a codec's extension when walstash wrote it
 */
public record WalKey(String key, WalFolder folder, WalFileName name, String extension) {
    public WalKey {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(extension, "extension");
    }

    /**
     * The WAL object {@code key} is, or empty for a key outside the WAL folders, in a sub-folder, or
     * naming no WAL file. The whole leaf is tried as a WAL file name first: {@code X.partial} is the
     * partial file X.partial stored bare, not segment X with an extension "partial".
     */
    public static Optional<WalKey> parse(String key) {
        Optional<WalFolder> folder = WalFolder.of(key);
        if (folder.isEmpty()) {
            return Optional.empty();
        }
        String leaf = key.substring(folder.get().prefix().length());
        if (leaf.indexOf('/') >= 0) {
            return Optional.empty();
        }
        if (WalFileName.isWalFileName(leaf)) {
            return Optional.of(new WalKey(key, folder.get(), WalFileName.parse(leaf), ""));
        }
        int dot = leaf.lastIndexOf('.');
        if (dot > 0 && WalFileName.isWalFileName(leaf.substring(0, dot))) {
            return Optional.of(new WalKey(key, folder.get(), WalFileName.parse(leaf.substring(0, dot)),
                    leaf.substring(dot + 1)));
        }
        return Optional.empty();
    }

    /** The key of WAL file {@code walFileName} in {@code folder} with {@code extension} ({@code ""}: none). */
    static String format(WalFolder folder, String walFileName, String extension) {
        return folder.prefix() + walFileName + (extension.isEmpty() ? "" : "." + extension);
    }

    /** The installed codec that reads this object, by its extension; empty for a bare name or an unknown extension. */
    public Optional<Codec> codec(Codecs codecs) {
        return extension.isEmpty() ? Optional.empty() : codecs.byExtension(extension);
    }

    /** Under WAL-G's folder: an object without walstash's checksum header. */
    public boolean walg() {
        return folder == WalFolder.WALG;
    }
}
