package io.walstash.core.backup;

import io.walstash.core.io.OwnerOnly;
import io.walstash.core.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Where each path of a backup goes on restore: into the destination, or, below
 * {@code pg_tblspc/<oid>/}, into that tablespace's location, or, below {@code pg_wal/} with a WAL
 * directory, into it. Locations come from the operator ({@code --tablespace-map}, {@code --waldir})
 * or, only when the operator asked for it, from the manifest; a location only the manifest names
 * is never emptied, even with {@code --force}, since the repository is untrusted. {@link #resolve}
 * is the one way a manifest path becomes a local path: it refuses any path that would pass through
 * a symbolic link (the restore creates links only for the locations, which it resolves itself).
 * Everything restore creates is owner-only whatever the umask.
 */
final class RestoreLayout {
    private static final String TBLSPC = "pg_tblspc";
    private static final String WAL = "pg_wal";

    /** One directory restore writes into besides the destination. */
    private record Location(String prefix, Path path, boolean fromManifest, String what) {
    }

    private final String backup;
    private final Path destination;
    private final Map<String, Location> locations; // by manifest prefix: pg_tblspc/<oid> or pg_wal
    private final Set<Path> checked = ConcurrentHashMap.newKeySet();

    private RestoreLayout(String backup, Path destination, Map<String, Location> locations) {
        this.backup = backup;
        this.destination = destination;
        this.locations = locations;
    }

    static RestoreLayout plan(BackupManifest backup, BackupFetch.Options options) {
        Path destination = options.destination().toAbsolutePath().normalize();
        for (String oid : options.tablespaceMap().keySet()) {
            if (!backup.tablespaces().containsKey(oid)) {
                throw new RestoreInputException(RestoreInputException.Input.TABLESPACE_MAP, oid + ": backup " + backup.name()
                        + " has no tablespace with that oid (it has " + backup.tablespaces().keySet() + ")");
            }
        }
        Map<String, Location> locations = new LinkedHashMap<>();
        backup.tablespaces().forEach((oid, original) -> {
            Path mapped = options.tablespaceMap().get(oid);
            if (mapped == null && !options.tablespacesFromManifest()) {
                throw new UnmappedTablespaceException(oid, "backup " + backup.name() + " has tablespace " + oid + " (at "
                        + RelativePath.printable(original) + " on the backed-up server)");
            }
            Path path = (mapped == null ? Path.of(original) : mapped).toAbsolutePath().normalize();
            locations.put(TBLSPC + "/" + oid, new Location(TBLSPC + "/" + oid, path, mapped == null, "tablespace location"));
        });
        if (options.walDirectory() != null) {
            locations.put(WAL, new Location(WAL, options.walDirectory().toAbsolutePath().normalize(), false, "WAL directory"));
        }
        List<Path> all = new ArrayList<>(List.of(destination));
        for (Location l : locations.values()) {
            for (Path other : all) {
                if (l.path().startsWith(other) || other.startsWith(l.path())) {
                    throw new IllegalArgumentException("the " + l.what() + " " + RelativePath.printable(l.path().toString())
                            + (l.fromManifest() ? " (named by backup " + backup.name() + ")" : "")
                            + " overlaps " + other + "; each location must be a directory of its own");
                }
            }
            all.add(l.path());
        }
        return new RestoreLayout(backup.name(), destination, locations);
    }

    Path destination() {
        return destination;
    }

    /** Tablespace oid → where it is restored. */
    Map<String, Path> tablespaces() {
        Map<String, Path> map = new LinkedHashMap<>();
        locations.values().stream().filter(l -> l.prefix().startsWith(TBLSPC + "/"))
                .forEach(l -> map.put(l.prefix().substring(TBLSPC.length() + 1), l.path()));
        return map;
    }

    /**
     * Checks every directory is missing or empty (or, with {@code force}, may be emptied), then
     * creates or empties them, owner-only.
     */
    void prepare(boolean force) throws IOException {
        check(destination, force, "destination", false);
        for (Location l : locations.values()) {
            check(l.path(), force, l.what(), l.fromManifest());
        }
        create(destination);
        for (Location l : locations.values()) {
            create(l.path());
        }
    }

    /** Creates the links to the locations, and pg_wal (a data directory without it does not start). */
    void link() throws IOException {
        Files.createDirectories(destination.resolve(TBLSPC), OwnerOnly.directoryAttributes(destination));
        for (Location l : locations.values()) {
            Files.createSymbolicLink(destination.resolve(l.prefix()), l.path());
        }
        Files.createDirectories(resolve(WAL + "/archive_status", false), OwnerOnly.directoryAttributes(destination));
    }

    /** Removes what the restore wrote: everything in the destination and the locations. */
    void clear() throws IOException {
        clear(destination);
        for (Location l : locations.values()) {
            clear(l.path());
        }
    }

    /** The locations and the destination itself, to make owner-only and sync at the end. */
    List<Path> roots() {
        List<Path> roots = new ArrayList<>(List.of(destination));
        locations.values().forEach(l -> roots.add(l.path()));
        return roots;
    }

    /**
     * The local path of manifest path {@code path}, checked to stay inside its root: none of its
     * parents (nor itself) may be a symbolic link, and a file can't be a location itself.
     */
    Path resolve(String path, boolean file) throws IOException {
        RelativePath relative;
        try {
            relative = new RelativePath(path);
        } catch (IllegalArgumentException e) {
            throw new UnsafeManifestException("backup " + backup + ": " + e.getMessage());
        }
        List<String> components = relative.components();
        Path root = destination;
        int start = 0;
        for (int n = Math.min(2, components.size()); n >= 1; n--) {
            Location l = locations.get(String.join("/", components.subList(0, n)));
            if (l != null) {
                root = l.path();
                start = n;
                break;
            }
        }
        if (file && start == components.size()) {
            throw new UnsafeManifestException("backup " + backup + ": file " + RelativePath.printable(path)
                    + " would replace the directory " + root);
        }
        Path current = root;
        for (int i = start; i < components.size(); i++) {
            current = current.resolve(components.get(i));
            if (checked.contains(current)) {
                continue;
            }
            if (Files.isSymbolicLink(current)) {
                throw new UnsafeManifestException("backup " + backup + ": path " + RelativePath.printable(path)
                        + " goes through the symbolic link " + current + "; refusing to write outside " + root);
            }
            if (i < components.size() - 1 && Files.isDirectory(current, LinkOption.NOFOLLOW_LINKS)) {
                checked.add(current); // a real directory stays one: the restore is the only writer here
            }
        }
        if (!current.normalize().startsWith(root)) {
            throw new UnsafeManifestException("backup " + backup + ": path " + RelativePath.printable(path)
                    + " leads outside " + root);
        }
        return current;
    }

    private static void check(Path directory, boolean force, String what, boolean fromManifest) throws IOException {
        // an operator's directory may be a link to one; a location only the manifest names may not
        LinkOption[] follow = fromManifest ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        if (!Files.exists(directory, follow)) {
            return;
        }
        if (!Files.isDirectory(directory, follow)) {
            throw new IllegalArgumentException(what + " " + directory + " is not a directory");
        }
        boolean empty;
        try (Stream<Path> entries = Files.list(directory)) {
            empty = entries.findAny().isEmpty();
        }
        if (!empty && fromManifest) {
            throw new RestoreTargetNotEmptyException(directory.toString(), what, true);
        }
        if (!empty && !force) {
            throw new RestoreTargetNotEmptyException(directory.toString(), what, false);
        }
    }

    private static void create(Path directory) throws IOException {
        if (Files.isDirectory(directory)) {
            clear(directory);
        } else {
            Files.createDirectories(directory, OwnerOnly.directoryAttributes(directory));
        }
        // explicitly: a directory that existed keeps its mode otherwise
        Files.setPosixFilePermissions(directory, DataDirectoryFiles.permissions(0700));
    }

    /** Deletes everything inside {@code directory}, keeping the directory itself. */
    private static void clear(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path p : entries.toList()) {
                if (Files.isSymbolicLink(p) || !Files.isDirectory(p)) {
                    Files.deleteIfExists(p);
                } else {
                    FileTrees.delete(p);
                }
            }
        }
    }
}
