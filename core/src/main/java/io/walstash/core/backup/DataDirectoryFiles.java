package io.walstash.core.backup;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What of a data directory goes into a base backup, per PostgreSQL's documentation ("Making a base
 * backup using the low level API"): the contents of pg_wal, pg_replslot, pg_dynshmem, pg_notify,
 * pg_serial, pg_snapshots, pg_stat_tmp and pg_subtrans are left out (the directories themselves are
 * kept), as are postmaster.pid, postmaster.opts, backup_label, tablespace_map, pg_internal.init
 * files, temporary files and directories (pgsql_tmp*) and a few files of no use to a restored
 * cluster. Tablespaces (symbolic links in pg_tblspc) are followed; their files are listed as
 * {@code pg_tblspc/<oid>/...}.
 */
public final class DataDirectoryFiles {
    static final Set<String> CONTENTS_EXCLUDED = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
    static final Set<String> TOP_FILES_EXCLUDED = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "tablespace_map.old", "backup_manifest", "current_logfiles",
            "recovery.signal", "standby.signal");
    private static final Pattern RELATION = Pattern.compile(
            "(?:global|base/\\d+|pg_tblspc/\\d+/[^/]+/\\d+)/\\d+(?:_(?:fsm|vm|init))?(?:\\.(\\d+))?");

    private DataDirectoryFiles() {
    }

    /** One file to back up. */
    public record LocalFile(String path, Path file, long size, long modified, int mode) {
    }

    /**
     * What a walk found.
     *
     * @param skipped what is not backed up though PostgreSQL did not put it there to be left out: symbolic
     *                links other than pg_wal and the tablespaces, and names a manifest can't carry safely
     *                (see {@link RelativePath}), each as a one-line description
     */
    public record Listing(List<LocalFile> files, List<BackupManifest.Directory> directories, Map<String, String> tablespaces,
                          List<String> skipped) {
    }

    /** Whether {@code path} (relative, '/'-separated) is a relation data file, whose pages have LSNs and checksums. */
    public static boolean isRelationFile(String path) {
        return RELATION.matcher(path).matches();
    }

    /** The number of the first block of a relation segment file ({@code 16384.2} starts at 2 GiB). */
    public static long firstBlock(String path, int blockSize) {
        Matcher m = RELATION.matcher(path);
        if (!m.matches() || m.group(1) == null) {
            return 0;
        }
        return Long.parseLong(m.group(1)) * ((1L << 30) / blockSize);
    }

    public static Listing list(Path dataDirectory) throws IOException {
        List<LocalFile> files = new ArrayList<>();
        List<BackupManifest.Directory> directories = new ArrayList<>();
        Map<String, String> tablespaces = new TreeMap<>();
        List<String> skipped = new ArrayList<>();
        walk(dataDirectory, "", files, directories, skipped);
        Path tblspc = dataDirectory.resolve("pg_tblspc");
        if (Files.isDirectory(tblspc)) {
            try (var links = Files.list(tblspc)) {
                for (Path link : links.toList()) {
                    String oid = link.getFileName().toString();
                    if (!oid.matches("\\d+")) {
                        continue;
                    }
                    if (Files.isSymbolicLink(link)) {
                        Path target = Files.readSymbolicLink(link);
                        Path resolved = tblspc.resolve(target).normalize();
                        tablespaces.put(oid, resolved.toString());
                        walk(resolved, "pg_tblspc/" + oid + "/", files, directories, skipped);
                    } else if (Files.isDirectory(link)) {
                        // an in-place tablespace (allow_in_place_tablespaces): a plain directory, walked with PGDATA
                        continue;
                    }
                }
            }
        }
        return new Listing(files, directories, tablespaces, List.copyOf(skipped));
    }

    private static void walk(Path root, String prefix, List<LocalFile> files, List<BackupManifest.Directory> directories,
                             List<String> skipped) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                String relative = relative(root, dir, prefix);
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                if (!relative.isEmpty() && name.startsWith("pgsql_tmp")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (!relative.isEmpty() && RelativePath.problem(relative).isPresent()) {
                    skipped.add("directory " + RelativePath.printable(relative) + ": " + RelativePath.problem(relative).get());
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (!relative.isEmpty()) {
                    try {
                        directories.add(new BackupManifest.Directory(relative, mode(dir)));
                    } catch (NoSuchFileException vanished) {
                        return FileVisitResult.SKIP_SUBTREE; // a database dropped while we walked
                    }
                }
                if (prefix.isEmpty() && CONTENTS_EXCLUDED.contains(relative)) {
                    if (relative.equals("pg_wal")) {
                        directories.add(new BackupManifest.Directory("pg_wal/archive_status", 0700));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String relative = relative(root, file, prefix);
                if (attrs.isSymbolicLink()) {
                    link(file, relative);
                    return FileVisitResult.CONTINUE;
                }
                if (!attrs.isRegularFile()) {
                    return FileVisitResult.CONTINUE; // sockets, pipes: nothing PostgreSQL restores
                }
                String name = file.getFileName().toString();
                if (name.startsWith("pgsql_tmp") || name.equals("pg_internal.init")
                        || (prefix.isEmpty() && TOP_FILES_EXCLUDED.contains(relative))) {
                    return FileVisitResult.CONTINUE;
                }
                if (RelativePath.problem(relative).isPresent()) {
                    skipped.add("file " + RelativePath.printable(relative) + ": " + RelativePath.problem(relative).get());
                    return FileVisitResult.CONTINUE;
                }
                try {
                    files.add(new LocalFile(relative, file, attrs.size(), attrs.lastModifiedTime().toMillis(), mode(file)));
                } catch (NoSuchFileException vanished) {
                    // dropped while we walked: PostgreSQL will replay the drop
                }
                return FileVisitResult.CONTINUE;
            }

            /**
             * pg_wal as a link (initdb --waldir) is backed up as the directory it stands for, empty as
             * always, so the restored cluster has one; pg_tblspc/<oid> links are the caller's; any other
             * link is not followed (it may lead anywhere) and is reported.
             */
            private void link(Path file, String relative) throws IOException {
                if (prefix.isEmpty() && relative.equals("pg_wal") && Files.isDirectory(file)) {
                    directories.add(new BackupManifest.Directory("pg_wal", 0700));
                    directories.add(new BackupManifest.Directory("pg_wal/archive_status", 0700));
                } else if (!(prefix.isEmpty() && relative.matches("pg_tblspc/[^/]+"))) {
                    String target;
                    try {
                        target = Files.readSymbolicLink(file).toString();
                    } catch (NoSuchFileException vanished) {
                        return;
                    }
                    skipped.add("symbolic link " + RelativePath.printable(relative) + " -> " + RelativePath.printable(target));
                }
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    private static String relative(Path root, Path p, String prefix) {
        String r = root.relativize(p).toString(); // '/'-separated: walstash runs on POSIX systems only
        return r.isEmpty() ? "" : prefix + r;
    }

    static int mode(Path p) throws IOException {
        int mode = 0;
        for (PosixFilePermission perm : Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)) {
            mode |= 1 << (8 - perm.ordinal());
        }
        return mode;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = java.util.EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission perm : PosixFilePermission.values()) {
            if ((mode & (1 << (8 - perm.ordinal()))) != 0) {
                set.add(perm);
            }
        }
        return set;
    }
}
