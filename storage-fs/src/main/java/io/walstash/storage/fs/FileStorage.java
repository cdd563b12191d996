package io.walstash.storage.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import io.walstash.core.io.OwnerOnly;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A {@link Storage} in a directory: key {@code a/b/c} is the file {@code ROOT/a/b/c}.
 *
 * <p>Creates never overwrite and never show a partial object: content goes to a hidden temporary
 * file in the target's directory ({@code .NAME.RANDOM.walstash-tmp}), is fsynced, and is then
 * published under the key with a hard link, which fails when the name is taken; the directory is
 * fsynced before the create returns. Temporary files, also those left by a crashed writer, are
 * never listed and never block a create.
 *
 * <p>Unlike object stores, a key can't be both an object and a prefix of other keys
 * ({@code a/b} and {@code a/b/c}): such a create fails with an {@link IOException} naming the key.
 */
public final class FileStorage implements Storage {
    static final String TEMP_PREFIX = ".";
    static final String TEMP_SUFFIX = ".walstash-tmp";
    /** The lock file of the rename fallback, one per directory (see {@link #moveWithoutReplace}). */
    static final String PUBLISH_LOCK = TEMP_PREFIX + "publish-lock" + TEMP_SUFFIX;

    private static final int COPY_BUFFER_SIZE = 64 * 1024;
    /** Characters of the key's last segment kept in a temp file's name; bounded to stay within NAME_MAX. */
    private static final int TEMP_STEM_LENGTH = 40;
    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");

    private final Path root;
    private final URI location;
    private final boolean useHardLinks;
    /** Serializes the rename fallback's check-then-rename per directory within this JVM; see {@link #moveWithoutReplace}. */
    private static final Object[] RENAME_LOCKS = new Object[64];

    static {
        for (int i = 0; i < RENAME_LOCKS.length; i++) {
            RENAME_LOCKS[i] = new Object();
        }
    }

    /** Sees every directory sync: lets tests check that an answer waits for durability. */
    static volatile java.util.function.Consumer<Path> syncObserver = dir -> { };

    private FileStorage(Path root, boolean useHardLinks) {
        this.root = root;
        // The root may not exist yet, and Path.toUri() only ends a directory's URI in '/' once it does.
        String uri = root.toUri().toString();
        this.location = URI.create(uri.endsWith("/") ? uri : uri + "/");
        this.useHardLinks = useHardLinks;
    }

    /** Opens the storage in {@code root}; a missing root is created by the first {@link #createIfAbsent}. */
    public static FileStorage open(Path root) throws IOException {
        return open(root, true);
    }

    /** {@code useHardLinks = false} forces the rename fallback, so that tests can run it on any filesystem. */
    static FileStorage open(Path root, boolean useHardLinks) throws IOException {
        Path dir = root.toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("file storage path " + dir + " exists and is not a directory");
        }
        // A missing root is created by the first create, not here: opening to read (wal-fetch) or to
        // fail on bad input must not leave directories behind.
        // No writability check: restoring from a read-only mount or snapshot of a repository is a
        // normal operation; a write into one fails at create time, naming the file.
        return new FileStorage(dir, useHardLinks);
    }

    @Override
    public URI location() {
        return location;
    }

    // ---- create ----

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path target = pathOf(key);
        Path dir = target.getParent();
        createDirectories(key, dir);

        Path temp = null;
        boolean created;
        try {
            try (TempFile file = TempFile.create(dir, target.getFileName().toString())) {
                temp = file.path();
                copy(content, file.channel());
                file.channel().force(true);
            }
            created = publish(key, temp, target);
        } catch (IOException | RuntimeException | Error e) {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // The object is complete either way. After a hard link the temp name is a second name
            // of the same inode (no space lost), after a rename it is gone; a leftover is never
            // listed, so failing a successful create over it would only make the caller retry.
        }
        // Makes the new name, and the temp name's removal, survive a crash. When the name was taken,
        // its creator (another process) may not have synced it yet: "already there" is an answer
        // only once that entry is durable too.
        fsyncDirectory(dir);
        return created;
    }

    /** Publishes {@code temp} under {@code target} unless taken; false when taken. */
    private boolean publish(String key, Path temp, Path target) throws IOException {
        if (useHardLinks) {
            try {
                // link(2) fails with EEXIST when the name exists: an atomic create-without-overwrite.
                Files.createLink(target, temp);
                return true;
            } catch (FileAlreadyExistsException e) {
                return taken(key, target);
            } catch (UnsupportedOperationException e) {
                // No hard links on this filesystem provider: fall back below.
            } catch (FileSystemException e) {
                // Only the generic class means "this filesystem can't" (EPERM/EOPNOTSUPP on FAT,
                // some FUSE and SMB mounts); its subclasses (access denied, no such file, ...)
                // are real failures. Were it something else, the rename below fails loudly too.
                if (e.getClass() != FileSystemException.class) {
                    throw e;
                }
            }
        }
        return moveWithoutReplace(key, temp, target);
    }

    /**
     * The fallback for filesystems without hard links. {@code Files.move} without
     * {@code REPLACE_EXISTING} checks that the target is absent and then renames: two steps. So the
     * two are made one under a lock: an OS lock (fcntl) on a lock file in the directory, held by one
     * process at a time and released by the kernel if its holder dies, plus a lock per key stripe
     * within this JVM (an OS lock belongs to the whole process, and a second channel closing would
     * release it). Every walstash process publishing into the directory this way takes the same
     * lock, so no rename can replace an object another one published. The lock file is named like
     * a temporary file, so it is never listed and never a key. {@code ATOMIC_MOVE} is deliberately
     * not passed: with it the JDK skips the existence check and rename(2) silently replaces the target.
     */
    private boolean moveWithoutReplace(String key, Path temp, Path target) throws IOException {
        synchronized (RENAME_LOCKS[Math.floorMod(target.getParent().hashCode(), RENAME_LOCKS.length)]) {
            try (FileChannel lockFile = OwnerOnly.open(target.resolveSibling(PUBLISH_LOCK), CREATE, WRITE);
                 FileLock held = lockFile.lock()) {
                try {
                    Files.move(temp, target);
                    return true;
                } catch (FileAlreadyExistsException e) {
                    return taken(key, target);
                }
            }
        }
    }

    private boolean taken(String key, Path target) throws IOException {
        if (Files.isDirectory(target, NOFOLLOW_LINKS)) {
            throw new IOException("cannot store key '" + key + "': keys below '" + key
                    + "/' exist, and in file storage a key can't be both an object and a folder");
        }
        return false;
    }

    /** Creates the missing directories from the root down to {@code dir}, fsyncing each parent. */
    private void createDirectories(String key, Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir; p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p); // up to the first existing ancestor, which may lie above the root
        }
        for (Path p : missing) {
            try {
                OwnerOnly.createDirectory(p); // 0700 whatever the umask: a repository is private
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p) && (!p.startsWith(root) || p.equals(root))) {
                    throw new IOException("cannot create file storage directory " + root + ": " + p
                            + " exists and is not a directory");
                }
                if (!Files.isDirectory(p)) {
                    throw new IOException("cannot store key '" + key + "': '" + keyOf(p)
                            + "' is an object, and in file storage a key can't be both an object and a folder");
                }
                // Created concurrently; its creator may not have synced the parent yet, so sync anyway.
            }
            fsyncDirectory(p.getParent());
        }
    }

    private static void copy(InputStream in, FileChannel out) throws IOException {
        byte[] buffer = new byte[COPY_BUFFER_SIZE];
        ByteBuffer wrapped = ByteBuffer.wrap(buffer);
        int n;
        while ((n = in.read(buffer)) != -1) {
            wrapped.clear().limit(n);
            while (wrapped.hasRemaining()) {
                out.write(wrapped);
            }
        }
    }

    /** A new, empty, uniquely named temporary file next to the object it will become. */
    private record TempFile(Path path, FileChannel channel) implements AutoCloseable {
        static TempFile create(Path dir, String objectName) throws IOException {
            int cut = Math.min(objectName.length(), TEMP_STEM_LENGTH);
            if (cut > 0 && Character.isHighSurrogate(objectName.charAt(cut - 1))) {
                cut--;
            }
            String stem = TEMP_PREFIX + objectName.substring(0, cut) + ".";
            for (int attempt = 1; ; attempt++) {
                Path path = dir.resolve(stem + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
                try {
                    // 0600 whatever the umask; the published object is this same inode (link) or file (rename)
                    return new TempFile(path, OwnerOnly.open(path, CREATE_NEW, WRITE));
                } catch (FileAlreadyExistsException e) {
                    if (attempt == 5) {
                        throw e;
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    // ---- read ----

    @Override
    public InputStream read(String key) throws IOException {
        return open(key, 0, Long.MAX_VALUE);
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("cannot read " + length + " bytes at offset " + offset
                    + " of '" + key + "': offset and length must not be negative");
        }
        return open(key, offset, length);
    }

    private InputStream open(String key, long offset, long length) throws IOException {
        Path path = pathOf(key);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, READ);
        } catch (FileSystemException e) {
            if (isMissing(path, e)) {
                throw noSuchObject(key, e);
            }
            throw e;
        }
        // Linux opens a directory for reading without complaint; a folder is not an object.
        if (Files.isDirectory(path)) {
            channel.close();
            throw noSuchObject(key, null);
        }
        return new FileRangeInputStream(channel, path, offset, length);
    }

    // ---- stat and list ----

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        Path path = pathOf(key);
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (FileSystemException e) {
            if (isMissing(path, e)) {
                return Optional.empty();
            }
            throw e;
        }
        if (!attributes.isRegularFile()) {
            return Optional.empty();
        }
        return Optional.of(new ObjectInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant()));
    }

    /**
     * Walks only the folder named by the prefix up to its last '/', lazily, one open directory
     * per level. Objects deleted during the walk are skipped rather than failing it.
     */
    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        checkPrefix(keyPrefix);
        int slash = keyPrefix.lastIndexOf('/');
        String folderKey = slash < 0 ? "" : keyPrefix.substring(0, slash + 1);
        Path start = folderKey.isEmpty() ? root : root.resolve(folderKey.substring(0, folderKey.length() - 1));
        if (!Files.isDirectory(start)) {
            return Stream.empty();
        }
        FileLister lister = FileLister.start(start, folderKey, keyPrefix);
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(lister, Spliterator.NONNULL | Spliterator.DISTINCT), false)
                .onClose(lister::close);
    }

    static boolean isTempName(String fileName) {
        return fileName.startsWith(TEMP_PREFIX) && fileName.endsWith(TEMP_SUFFIX);
    }

    // ---- delete ----

    /**
     * Emptied folders are left in place: removing one could race with a create that has just
     * made or found it and is about to write its temp file there. Empty folders cost a directory
     * entry and are skipped by listing.
     */
    @Override
    public void delete(String key) throws IOException {
        Path path = pathOf(key);
        if (deleteFile(path)) {
            fsyncDirectory(path.getParent());
        }
    }

    /** Checks every key first, so an invalid key deletes nothing; syncs each folder once. */
    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        List<Path> paths = new ArrayList<>(keys.size());
        for (String key : keys) {
            paths.add(pathOf(key));
        }
        Set<Path> touched = new LinkedHashSet<>();
        for (Path path : paths) {
            if (deleteFile(path)) {
                touched.add(path.getParent());
            }
        }
        for (Path dir : touched) {
            fsyncDirectory(dir);
        }
    }

    private boolean deleteFile(Path path) throws IOException {
        if (Files.isDirectory(path, NOFOLLOW_LINKS)) {
            return false; // a folder of other keys, not an object
        }
        try {
            return Files.deleteIfExists(path);
        } catch (DirectoryNotEmptyException e) {
            return false; // became a folder meanwhile
        } catch (FileSystemException e) {
            if (isMissing(path, e)) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return "FileStorage[" + root + "]";
    }

    // ---- keys and paths ----

    /** The file for {@code key}, after checking that the key can't escape the root. */
    Path pathOf(String key) {
        return resolve(root, key);
    }

    static Path resolve(Path root, String key) {
        checkKey(key);
        Path path = root.resolve(key);
        // Belt and braces: checkKey already refuses everything that could get here.
        if (!path.normalize().startsWith(root) || path.normalize().equals(root)) {
            throw invalidKey(key, "it leaves the storage directory");
        }
        return path;
    }

    static void checkKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("invalid storage key '': it is empty");
        }
        if (key.startsWith("/")) {
            throw invalidKey(key, "it is absolute (starts with '/')");
        }
        checkCharacters(key);
        for (String segment : key.split("/", -1)) {
            checkSegment(key, segment);
        }
    }

    /** A prefix is a folder path ending in '/' (checked like a key) and a partial last segment. */
    static void checkPrefix(String prefix) {
        Objects.requireNonNull(prefix, "keyPrefix");
        if (prefix.startsWith("/")) {
            throw invalidKey(prefix, "it is absolute (starts with '/')");
        }
        checkCharacters(prefix);
        int slash = prefix.lastIndexOf('/');
        if (slash >= 0) {
            for (String segment : prefix.substring(0, slash).split("/", -1)) {
                checkSegment(prefix, segment);
            }
        }
    }

    private static void checkCharacters(String key) {
        if (key.indexOf('\\') >= 0) {
            throw invalidKey(key, "it contains a backslash; keys use '/'");
        }
        if (key.indexOf('\0') >= 0) {
            throw invalidKey(key, "it contains a NUL character");
        }
    }

    private static void checkSegment(String key, String segment) {
        if (segment.isEmpty()) {
            throw invalidKey(key, "it has an empty segment ('//' or a trailing '/')");
        }
        if (segment.equals(".") || segment.equals("..")) {
            throw invalidKey(key, "it has a '" + segment + "' segment");
        }
        if (isTempName(segment)) {
            throw invalidKey(key, "'" + segment + "' is reserved for temporary files (." + "…" + TEMP_SUFFIX + ")");
        }
    }

    private static IllegalArgumentException invalidKey(String key, String why) {
        return new IllegalArgumentException("invalid storage key '" + key + "': " + why);
    }

    private String keyOf(Path path) {
        return root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
    }

    /**
     * Whether {@code e}, raised for {@code path}, means the object does not exist: no such file,
     * or ENOTDIR because some folder on the way is an object.
     */
    private boolean isMissing(Path path, FileSystemException e) {
        if (e instanceof NoSuchFileException) {
            return true;
        }
        if (e.getClass() != FileSystemException.class) {
            return false;
        }
        for (Path p = path.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (Files.isRegularFile(p, NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return false;
    }

    private static NoSuchObjectException noSuchObject(String key, IOException cause) {
        NoSuchObjectException e = new NoSuchObjectException(key);
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    // ---- durability ----

    /**
     * Makes changes to {@code dir}'s entries durable. Windows can't open a directory for this
     * (and NTFS journals its metadata), so it is skipped there.
     */
    static void fsyncDirectory(Path dir) throws IOException {
        syncObserver.accept(dir);
        if (WINDOWS) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, READ)) {
            try {
                channel.force(true);
            } catch (IOException e) {
                // Some filesystems (certain FUSE and network mounts) answer fsync on a directory
                // with EINVAL: they offer no way to sync directory entries, so there is nothing
                // more to do. Anything else, EIO above all, puts durability in doubt and is
                // passed on. (The text is strerror's; under a non-English locale the EINVAL case
                // fails loudly rather than being ignored, which is the safe side.)
                if (!"Invalid argument".equals(e.getMessage())) {
                    throw e;
                }
            }
        }
    }

    private static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied on " + ((FileSystemException) e).getFile();
        }
        if (e instanceof FileAlreadyExistsException) {
            return ((FileSystemException) e).getFile() + " exists and is not a directory";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory " + ((FileSystemException) e).getFile();
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason() + (fse.getFile() != null ? " on " + fse.getFile() : "");
        }
        String message = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return message.replace('\n', ' ');
    }
}
