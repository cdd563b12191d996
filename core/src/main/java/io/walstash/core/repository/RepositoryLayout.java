package io.walstash.core.repository;

import io.walstash.core.codec.Codec;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where things live inside a repository (layout version {@value RepositoryMarker#LAYOUT_VERSION}):
 * every key walstash writes or reads is spelled here, and read back by {@link WalKey}, {@link WalIndex}
 * and {@link BackupFolders}. The layout is a promise to users' existing repositories (and to WAL-G's,
 * which walstash reads): change it only with a new version.
 *
 * <pre>
 * walstash-repository.properties          the root marker ({@link RepositoryMarker})
 * wal/&lt;WAL file name&gt;.&lt;codec extension&gt;    segments, .history, .backup and .partial files
 * wal_005/&lt;WAL file name&gt;[.&lt;extension&gt;]    WAL-G's WAL, read and never written
 * stream/&lt;segment&gt;/&lt;length, 8 hex&gt;.&lt;codec extension&gt;   a streamed partial segment ({@link StreamedPartial})
 * backups/&lt;name&gt;/claim                     the run that owns the folder
 * backups/&lt;name&gt;/files/&lt;path&gt;[.delta].&lt;codec extension&gt;   one object per file (parts are byte ranges of it)
 * backups/&lt;name&gt;/manifest.json             written last: a folder without it is an unfinished backup
 * backups/&lt;name&gt;/permanent                 present while the backup is marked permanent
 * backups/&lt;name&gt;/deleted                   retention's intent marker: the folder is being deleted
 * backups/&lt;name&gt;/content.json              an encrypted backup's whole manifest, deflated (manifest.json keeps the catalog)
 * keyring/&lt;generation&gt;                     encryption: data keys sealed under the master key; the highest generation counts
 * </pre>
 *
 * <p>With encryption on, every object that holds content ({@link #holdsContent}) is encrypted; the
 * marker, keyring, claims, markers and manifests' catalog stay clear, so that listing, retention and
 * monitoring work without the key.
 */
public final class RepositoryLayout {
    static final String BACKUPS_PREFIX = "backups/";
    static final String MANIFEST = "manifest.json";
    static final String PERMANENT = "permanent";
    static final String DELETED = "deleted";
    static final String CLAIM = "claim";
    static final String FILES = "files/";
    static final String BUNDLES = "bundles/";
    static final String CONTENT = "content.json";
    static final String KEYRING_PREFIX = "keyring/";

    private RepositoryLayout() {
    }

    /** The key walstash stores WAL file {@code walFileName} under when {@code codec} writes it. */
    public static String walKey(String walFileName, Codec codec) {
        return WalKey.format(WalFolder.WALSTASH, walFileName, codec.fileExtension());
    }

    /** The folder (prefix, ending in '/') that holds every object of backup {@code name}. */
    public static String backupFolder(String name) {
        return BACKUPS_PREFIX + name + "/";
    }

    /** Every backup folder lives under this prefix. */
    public static String backupsPrefix() {
        return BACKUPS_PREFIX;
    }

    public static String manifestKey(String name) {
        return backupFolder(name) + MANIFEST;
    }

    public static String permanentKey(String name) {
        return backupFolder(name) + PERMANENT;
    }

    public static String deletedKey(String name) {
        return backupFolder(name) + DELETED;
    }

    public static String claimKey(String name) {
        return backupFolder(name) + CLAIM;
    }

    /** The encrypted file list of backup {@code name} (its manifest then holds only the catalog). */
    public static String contentKey(String name) {
        return backupFolder(name) + CONTENT;
    }

    /** Every keyring generation lives under this prefix. */
    public static String keyringPrefix() {
        return KEYRING_PREFIX;
    }

    /**
     * The key of keyring generation {@code generation}: zero-padded to ten digits, so that names sort as
     * numbers. Not through {@link String#format}: its digits follow the default locale, and its first use
     * loads the JDK's locale data (about 9 ms of every encrypted command's start).
     */
    public static String keyringKey(long generation) {
        if (generation < 0) {
            throw new IllegalArgumentException("keyring generation " + generation + " is negative");
        }
        String digits = Long.toString(generation);
        return KEYRING_PREFIX + "0".repeat(Math.max(0, 10 - digits.length())) + digits;
    }

    /** The generation keyring object {@code key} holds, or empty for any other key. */
    public static java.util.OptionalLong keyringGeneration(String key) {
        if (!key.startsWith(KEYRING_PREFIX) || !key.substring(KEYRING_PREFIX.length()).matches("[0-9]{10}")) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(Long.parseLong(key.substring(KEYRING_PREFIX.length())));
    }

    /** The keyring generations stored, lowest first; none in a repository that is not encrypted. */
    public static java.util.List<Long> keyringGenerations(Storage storage) throws IOException {
        try (Stream<ObjectInfo> listed = storage.list(KEYRING_PREFIX)) {
            return listed.map(o -> keyringGeneration(o.key())).filter(java.util.OptionalLong::isPresent)
                    .map(java.util.OptionalLong::getAsLong).sorted().toList();
        }
    }

    /**
     * Whether {@code key} holds content (WAL, streamed partials, a backup's files or file list), which encryption
     * covers; everything else is catalog metadata that stays clear. WAL-G's {@code wal_005/} is
     * read, never written, so it is not walstash's to encrypt.
     */
    public static boolean holdsContent(String key) {
        if (key.startsWith(WalFolder.WALSTASH.prefix()) || key.startsWith(StreamedPartial.PREFIX)) {
            return true; // streamed partials (wal-receive) are WAL as much as whole segments are
        }
        Optional<String> backup = backupOf(key);
        return backup.isPresent() && (key.startsWith(backupFolder(backup.get()) + FILES)
                || key.startsWith(backupFolder(backup.get()) + BUNDLES)
                || key.equals(contentKey(backup.get())));
    }

    /**
     * Bundle {@code number} of backup {@code name}: small files stored together, each its own codec
     * stream (the manifest records where each starts); outside {@code files/}, whose keys are paths.
     */
    public static String bundleKey(String name, int number, Codec codec) {
        return backupFolder(name) + BUNDLES + number + "." + codec.fileExtension();
    }

    /** The object a backup stores data directory file {@code path} in ({@code .delta} for a delta file). */
    public static String backupFileKey(String name, String path, boolean delta, Codec codec) {
        return backupFolder(name) + FILES + path + (delta ? ".delta." : ".") + codec.fileExtension();
    }

    /** The backup folder name of {@code key}, which must lie in a backup folder; empty for any other key. */
    public static Optional<String> backupOf(String key) {
        if (!key.startsWith(BACKUPS_PREFIX)) {
            return Optional.empty();
        }
        int slash = key.indexOf('/', BACKUPS_PREFIX.length());
        return slash > BACKUPS_PREFIX.length() ? Optional.of(key.substring(BACKUPS_PREFIX.length(), slash))
                : Optional.empty();
    }

    /** The codec extension {@code key} ends with: what follows its last dot. */
    public static String extensionOf(String key) {
        return key.substring(key.lastIndexOf('.') + 1);
    }

    /**
     * Whether {@code storage} holds a repository: walstash's root marker, or WAL that WAL-G wrote.
     * An unmounted file system or a wrong prefix lists as empty, so "nothing stored" must not be
     * read as "not archived" without this.
     */
    public static boolean holdsRepository(Storage storage) throws IOException {
        if (storage.stat(RepositoryMarker.KEY).isPresent()) {
            return true;
        }
        try (Stream<ObjectInfo> walG = storage.list(WalFolder.WALG.prefix())) {
            return walG.findAny().isPresent();
        }
    }
}
