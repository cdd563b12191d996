package io.walstash.core.archive;

import io.walstash.core.codec.Codec;

/**
 * Where things live inside a repository (layout version {@value RepositoryMarker#LAYOUT_VERSION}).
 * The layout is a promise to users' existing repositories: change it only with a new version.
 */
public final class RepositoryLayout {
    /** WAL segments, history and backup-history files: {@code wal/<name>.<codec extension>}. */
    public static final String WAL_PREFIX = "wal/";
    /** Where WAL-G keeps WAL; read (never written) so a WAL-G repository can be restored from. */
    public static final String WALG_WAL_PREFIX = "wal_005/";

    private RepositoryLayout() {
    }

    public static String walKey(String walFileName, Codec codec) {
        return WAL_PREFIX + walFileName + "." + codec.fileExtension();
    }

    /** The prefix shared by every stored form of one WAL file, whatever its codec. */
    public static String walKeyPrefix(String folder, String walFileName) {
        return folder + walFileName + ".";
    }
}
