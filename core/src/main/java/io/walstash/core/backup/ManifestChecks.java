package io.walstash.core.backup;

import io.walstash.core.repository.RepositoryLayout;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a manifest read from the repository must satisfy before anything uses it: every path a
 * {@link RelativePath}, every size and count within reason, every key a safe key under
 * {@code backups/}, every tablespace location absolute and normalised. The repository is untrusted
 * (anyone who can write to the bucket can forge a manifest), so these are checked on every read.
 *
 * <p>The per-entry checks are plain character loops, not regular expressions: they run a few times
 * for each of a manifest's thousands of entries on every restore, and matching them with
 * {@code java.util.regex} made the JIT compile the regex engine (and {@code String.split}) with C2
 * during every restore, about a tenth of its compile time (JFR compilation events, scale-30 restore).
 */
final class ManifestChecks {
    /** A 1 GiB relation segment in parts of 32 MiB has 32; this allows far smaller parts, never an absurd count. */
    static final int MAX_PARTS = 1 << 16;
    /** The longest backup name: one key component, WAL-G's {@code base_<segment>[_D_<segment>]} plus a suffix. */
    static final int MAX_NAME = 200;
    /** Far beyond any real cluster (one file per relation segment), low enough to stop a forged count early. */
    static final int MAX_ENTRIES = 50_000_000;
    private static final int MAX_TABLESPACES = 100_000;
    private static final int MAX_KEY = 1024;

    private ManifestChecks() {
    }

    static void check(BackupManifest m) throws UnsafeManifestException {
        if (!isBackupName(m.name())) {
            throw new UnsafeManifestException("a backup manifest names itself " + RelativePath.printable(m.name())
                    + ", which is not a backup name");
        }
        String backup = "backup " + m.name() + ": ";
        if (m.deltaBase() != null && (!isBackupName(m.deltaBase()) || m.deltaBase().equals(m.name()))) {
            throw new UnsafeManifestException(backup + "delta base " + RelativePath.printable(m.deltaBase())
                    + " is not the name of another backup");
        }
        if (m.timeline() < 1 || m.timeline() > 0xFFFFFFFFL) {
            throw new UnsafeManifestException(backup + "timeline " + m.timeline() + " is out of range");
        }
        if (m.blockSize() != 0 && (m.blockSize() < 1024 || m.blockSize() > 32768 || Integer.bitCount(m.blockSize()) != 1)) {
            throw new UnsafeManifestException(backup + "block size " + m.blockSize() + " is not one PostgreSQL uses");
        }
        if (m.originalSize() < 0 || m.storedSize() < 0) {
            throw new UnsafeManifestException(backup + "negative total size");
        }
        if (m.files().size() > MAX_ENTRIES || m.directories().size() > MAX_ENTRIES
                || m.tablespaces().size() > MAX_TABLESPACES) {
            throw new UnsafeManifestException(backup + "absurd number of files (" + m.files().size() + "), directories ("
                    + m.directories().size() + ") or tablespaces (" + m.tablespaces().size() + ")");
        }
        for (BackupManifest.Directory d : m.directories()) {
            path(backup, "directory", d.path());
            mode(backup, d.path(), d.mode());
        }
        Set<String> seen = new HashSet<>();
        for (BackupManifest.FileEntry f : m.files()) {
            path(backup, "file", f.path());
            if (!seen.add(f.path())) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path()) + " is listed twice");
            }
            mode(backup, f.path(), f.mode());
            if (f.size() < 0 || f.plainSize() < 0 || f.storedSize() < 0) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path()) + " has a negative size");
            }
            if (!f.delta() && f.size() != f.plainSize()) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path()) + " is " + f.size()
                        + " bytes but its whole object holds " + f.plainSize());
            }
            if (f.parts() != null) {
                parts(backup, f);
            }
            if (f.bundled() && f.storedOffset() > Long.MAX_VALUE - f.storedSize()) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path())
                        + " is stored at an offset whose end overflows");
            }
            if (f.sha256() == null || !isSha256Hex(f.sha256())) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path())
                        + " has no valid SHA-256");
            }
            if (f.corruptPages() != null && f.corruptPages().stream().anyMatch(b -> b == null || b < 0)) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path())
                        + " lists a negative corrupt block");
            }
            Optional<String> bad = keyProblem(f.objectKey());
            if (bad.isPresent()) {
                throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path()) + " is stored as "
                        + RelativePath.printable(f.objectKey()) + ", which " + bad.get());
            }
        }
        for (Map.Entry<String, String> t : m.tablespaces().entrySet()) {
            if (!isOid(t.getKey())) {
                throw new UnsafeManifestException(backup + "tablespace oid " + RelativePath.printable(t.getKey())
                        + " is not a number");
            }
            String location = t.getValue();
            if (location == null || !location.startsWith("/") || location.equals("/")
                    || RelativePath.problem(location.substring(1)).isPresent()) {
                throw new UnsafeManifestException(backup + "tablespace " + t.getKey() + " location "
                        + RelativePath.printable(location) + " is not an absolute, normalised path");
            }
        }
        if (m.tablespaceMap() != null) {
            for (String line : m.tablespaceMap().split("\n")) {
                int space = line.indexOf(' ');
                if (!line.isEmpty() && (space <= 0 || !m.tablespaces().containsKey(line.substring(0, space)))) {
                    throw new UnsafeManifestException(backup + "tablespace_map line " + RelativePath.printable(line)
                            + " names no tablespace of the backup");
                }
            }
        }
        if (m.backupLabel() != null && m.backupLabel().indexOf(0) >= 0) {
            throw new UnsafeManifestException(backup + "backup_label contains NUL");
        }
    }

    private static void path(String backup, String what, String path) throws UnsafeManifestException {
        Optional<String> problem = RelativePath.problem(path);
        if (problem.isPresent()) {
            throw new UnsafeManifestException(backup + what + " path " + RelativePath.printable(path) + " " + problem.get()
                    + "; refusing a path that could lead outside the data directory");
        }
    }

    private static void mode(String backup, String path, int mode) throws UnsafeManifestException {
        if (mode < 0 || mode > 07777) {
            throw new UnsafeManifestException(backup + RelativePath.printable(path) + " has mode " + mode
                    + ", not a permission mode");
        }
    }

    /** Why {@code key} is not a key of a backup object, or empty when it is one. */
    static Optional<String> keyProblem(String key) {
        if (key.length() > MAX_KEY) {
            return Optional.of("is longer than " + MAX_KEY + " characters");
        }
        if (!key.startsWith(RepositoryLayout.backupsPrefix())) {
            return Optional.of("is not under " + RepositoryLayout.backupsPrefix());
        }
        Optional<String> problem = RelativePath.problem(key);
        if (problem.isPresent()) {
            return problem;
        }
        // backups/<name>/<at least one more component>; RelativePath already refused empty components
        int nameStart = key.indexOf('/') + 1;
        int nameEnd = key.indexOf('/', nameStart);
        if (nameEnd < 0 || !isBackupName(key.substring(nameStart, nameEnd))) {
            return Optional.of("is not in a backup's folder");
        }
        return Optional.empty();
    }

    /** A backup name: a letter or digit, then up to 199 letters, digits, {@code _ . -}. */
    static boolean isBackupName(String name) {
        if (name.isEmpty() || name.length() > MAX_NAME || !isAsciiLetterOrDigit(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** 64 lower-case hexadecimal digits, as every SHA-256 in a manifest is written. */
    static boolean isSha256Hex(String text) {
        if (text.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = text.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    /** A tablespace oid: 1 to 10 decimal digits, no leading zero. */
    private static boolean isOid(String text) {
        if (text.isEmpty() || text.length() > 10 || text.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** A file stored in parts: a bounded number of parts, each within the file, adding up without overflow. */
    private static void parts(String backup, BackupManifest.FileEntry f) throws UnsafeManifestException {
        if (f.parts().size() > MAX_PARTS) {
            throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path()) + " has "
                    + f.parts().size() + " parts, more than " + MAX_PARTS);
        }
        long plain = 0;
        long stored = 0;
        try {
            for (BackupManifest.Part part : f.parts()) {
                plain = Math.addExact(plain, part.plainSize());
                stored = Math.addExact(stored, part.storedSize());
            }
        } catch (ArithmeticException e) {
            throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path())
                    + " has parts whose sizes overflow");
        }
        if (plain != f.plainSize() || stored != f.storedSize()) {
            throw new UnsafeManifestException(backup + "file " + RelativePath.printable(f.path())
                    + " has parts that do not add up to its sizes");
        }
    }
}
