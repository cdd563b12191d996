package io.walstash.core.repository;

import java.util.Optional;

/** The folders WAL is stored in: walstash's own, and WAL-G's, which is read so a WAL-G repository can be restored from. */
public enum WalFolder {
    /** {@code wal/<WAL file name>.<codec extension>}, every object with a checksum header. */
    WALSTASH("wal/"),
    /** WAL-G's {@code wal_005/}: read, never written; its objects have no checksum header. */
    WALG("wal_005/");

    private final String prefix;

    WalFolder(String prefix) {
        this.prefix = prefix;
    }

    /** The key prefix of the folder, ending in '/'. */
    public String prefix() {
        return prefix;
    }

    /** The prefix shared by every stored form of WAL file {@code walFileName} in this folder, whatever its codec. */
    public String keyPrefix(String walFileName) {
        return prefix + walFileName + ".";
    }

    /** The folder {@code key} lies in, if it lies in one. */
    static Optional<WalFolder> of(String key) {
        for (WalFolder folder : values()) {
            if (key.startsWith(folder.prefix)) {
                return Optional.of(folder);
            }
        }
        return Optional.empty();
    }
}
