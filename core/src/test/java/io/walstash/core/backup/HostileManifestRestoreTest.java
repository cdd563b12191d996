package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.testing.BackupFixtures.FixtureFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores of manifests a repository writer forged: every path stays inside the destination (or a
 * location the operator chose), a location only the manifest names is never emptied, and what
 * restore creates is owner-only whatever the manifest's modes and the umask (022 on this machine's
 * test runs; the modes are set at creation, not left to it).
 */
class HostileManifestRestoreTest {
    private static final DeflateTestCodec CODEC = new DeflateTestCodec();
    private static final String NAME = "base_000000010000000000000002";

    @TempDir
    Path work;
    private InMemoryStorage storage;
    private Path destination;
    private final StringWriter log = new StringWriter();

    @BeforeEach
    void setUp() {
        storage = new InMemoryStorage();
        destination = work.resolve("dest");
    }

    private BackupFetch fetcher() {
        return new BackupFetch(storage, Codecs.of(List.of(CODEC)), new PrintWriter(log, true));
    }

    private static FixtureFile file(String path, String content, int mode) {
        return new FixtureFile(path, content.getBytes(StandardCharsets.UTF_8), mode);
    }

    private static List<FixtureFile> dataDirectory(FixtureFile... extra) {
        List<FixtureFile> files = new ArrayList<>(List.of(file("global/pg_control", "control", 0600),
                file("base/1/1259", "catalog", 0644), file("PG_VERSION", "16\n", 0644)));
        files.addAll(List.of(extra));
        return files;
    }

    private static List<BackupManifest.Directory> directories(String... extra) {
        List<BackupManifest.Directory> dirs = new ArrayList<>(List.of(new BackupManifest.Directory("global", 0755),
                new BackupManifest.Directory("base", 0755), new BackupManifest.Directory("base/1", 0777)));
        for (String d : extra) {
            dirs.add(new BackupManifest.Directory(d, 0755));
        }
        return dirs;
    }

    /** Every path under {@link #work} outside the destination. */
    private List<Path> outsideDestination() throws IOException {
        try (Stream<Path> all = Files.walk(work)) {
            return all.filter(p -> !p.equals(work) && !p.startsWith(destination)).toList();
        }
    }

    private void assertRefusedNamingPath(String hostile) throws IOException {
        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, false, Map.of(), 2)))
                .isInstanceOf(UnsafeManifestException.class)
                .hasMessageContaining(NAME).hasMessageContaining(hostile).hasMessageNotContaining("\n");
        assertThat(outsideDestination()).isEmpty();
    }

    @Test
    void aFilePathWithDotDotIsRefusedAndNothingIsWrittenOutside() throws IOException {
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("base/../../escaped", "owned", 0600)),
                directories(), Map.of());
        assertRefusedNamingPath("base/../../escaped");
    }

    @Test
    void anAbsoluteFilePathIsRefused() throws IOException {
        Path target = work.resolve("absolute-escape");
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file(target.toString(), "owned", 0600)),
                directories(), Map.of());
        assertRefusedNamingPath(target.toString());
        assertThat(target).doesNotExist();
    }

    @Test
    void aDirectoryPathLeadingOutsideIsRefused() throws IOException {
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(), directories("../escaped-directory"), Map.of());
        assertRefusedNamingPath("../escaped-directory");
    }

    @Test
    void aPathWithNulIsRefusedAndQuotedOnOneLine() throws IOException {
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("base/1/x\u0000\n/../../y", "z", 0600)),
                directories(), Map.of());
        assertRefusedNamingPath("base/1/x\\u0000\\u000a");
    }

    @Test
    void aTablespaceIsRestoredOnlyWhereTheOperatorSays() throws IOException {
        Path victim = work.resolve("victim");
        Files.createDirectories(victim);
        Files.writeString(victim.resolve("precious"), "keep me");
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("pg_tblspc/16385/PG_16_1/5/1", "far", 0600)),
                directories("pg_tblspc/16385/PG_16_1", "pg_tblspc/16385/PG_16_1/5"), Map.of("16385", victim.toString()));

        // the manifest's location is not used unless asked for, not even with --force
        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, true, Map.of(), 2)))
                .isInstanceOfSatisfying(UnmappedTablespaceException.class, e -> assertThat(e.oid()).isEqualTo("16385"));
        // asked for, a non-empty one is never emptied, not even with --force
        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, true, Map.of(), 2, null, true)))
                .isInstanceOf(IOException.class).hasMessageContaining("never empties");
        assertThat(victim.resolve("precious")).hasContent("keep me");
        try (Stream<Path> left = Files.list(victim)) {
            assertThat(left).hasSize(1);
        }

        Path mapped = work.resolve("mapped");
        fetcher().fetch(NAME, new BackupFetch.Options(destination, true, Map.of("16385", mapped), 2));
        assertThat(mapped.resolve("PG_16_1/5/1")).hasContent("far");
        assertThat(Files.readSymbolicLink(destination.resolve("pg_tblspc/16385"))).isEqualTo(mapped);
        assertThat(victim.resolve("precious")).hasContent("keep me");
    }

    @Test
    void aManifestLocationThatIsEmptyIsUsedWhenAskedFor() throws IOException {
        Path named = work.resolve("named-by-manifest");
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("pg_tblspc/16385/PG_16_1/t", "far", 0644)),
                directories("pg_tblspc/16385/PG_16_1"), Map.of("16385", named.toString()));
        fetcher().fetch(NAME, new BackupFetch.Options(destination, false, Map.of(), 2, null, true));
        assertThat(named.resolve("PG_16_1/t")).hasContent("far");
        assertThat(permissions(named)).isEqualTo("rwx------");
        assertThat(permissions(named.resolve("PG_16_1/t"))).isEqualTo("rw-------");
    }

    @Test
    void aManifestLocationThatIsASymbolicLinkIsNotFollowed() throws IOException {
        Path victim = Files.createDirectories(work.resolve("victim"));
        Path link = Files.createSymbolicLink(work.resolve("innocent-looking"), victim);
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("pg_tblspc/16385/PG_16_1/t", "far", 0644)),
                directories("pg_tblspc/16385/PG_16_1"), Map.of("16385", link.toString()));
        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, true, Map.of(), 2, null, true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a directory");
        try (Stream<Path> left = Files.list(victim)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aRelativeTablespaceLocationIsRefusedWhenTheManifestIsRead() throws IOException {
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(), directories(), Map.of("16385", "../../elsewhere"));
        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, false, Map.of(), 2, null, true)))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("../../elsewhere");
        assertThat(outsideDestination()).isEmpty();
    }

    @Test
    void aPathThroughASymbolicLinkInTheDestinationIsRefused() throws IOException {
        BackupManifest manifest = BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(), directories(), Map.of());
        RestoreLayout layout = RestoreLayout.plan(manifest, new BackupFetch.Options(destination, false, Map.of(), 1));
        layout.prepare(false);
        Path outside = Files.createDirectories(work.resolve("outside"));
        Files.createSymbolicLink(destination.resolve("base"), outside);
        assertThatThrownBy(() -> layout.resolve("base/1/1259", true)).isInstanceOf(UnsafeManifestException.class)
                .hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> layout.resolve("base", false)).isInstanceOf(UnsafeManifestException.class);
        assertThat(layout.resolve("global/pg_control", true)).isEqualTo(destination.resolve("global/pg_control"));
    }

    @Test
    void aFileCannotReplaceAMappedLocation() throws IOException {
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("pg_tblspc/16385", "not a link", 0600)),
                directories(), Map.of("16385", "/srv/ts"));
        Path mapped = work.resolve("dest-ts");
        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, false,
                Map.of("16385", mapped), 1))).isInstanceOf(UnsafeManifestException.class).hasMessageContaining("pg_tblspc/16385");
        try (Stream<Path> left = Files.list(mapped)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anObjectKeyOutsideTheBackupsChainIsRefused() throws IOException {
        BackupManifest honest = BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(), directories(), Map.of());
        String other = "base_000000010000000000000009";
        BackupManifest.FileEntry first = honest.files().get(0);
        BackupManifest.FileEntry stolen = new BackupManifest.FileEntry("base/1/2", first.size(), 0600, 0, false,
                "backups/" + other + "/files/0.dft", first.sha256(), first.hashed(), first.plainSize(), first.storedSize(), null, null);
        List<BackupManifest.FileEntry> files = new ArrayList<>(honest.files());
        files.add(stolen);
        BackupManifest forged = new BackupManifest(1, other.replace("9", "8"), honest.startLsn(), honest.stopLsn(), 1,
                honest.startWalFile(), honest.stopWalFile(), honest.systemIdentifier(), honest.postgresVersion(),
                honest.startTime(), honest.stopTime(), null, honest.codec(), 8192, true, 0, 0, false, null, null, null,
                honest.directories(), files, "forger");
        storage.createIfAbsent(RepositoryLayout.manifestKey(forged.name()), new java.io.ByteArrayInputStream(forged.toJson()));
        assertThatThrownBy(() -> fetcher().fetch(forged.name(), new BackupFetch.Options(destination, false, Map.of(), 1)))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("outside the folders of its delta chain");
        assertThat(destination).doesNotExist();
    }

    /** A byte flipped in a stored manifest: one line naming the backup and the object, nothing written. */
    @Test
    void aDamagedManifestIsNamedByItsKey() throws IOException {
        BackupManifest honest = BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(), directories(), Map.of());
        String key = RepositoryLayout.manifestKey(NAME);
        String text = new String(honest.toJson(), StandardCharsets.UTF_8);
        int colon = text.indexOf("\":", text.indexOf("\"files\"")) + 1;
        byte[] json = (text.substring(0, colon) + ';' + text.substring(colon + 1)).getBytes(StandardCharsets.UTF_8);
        storage.delete(key);
        storage.createIfAbsent(key, new java.io.ByteArrayInputStream(json));

        assertThatThrownBy(() -> fetcher().fetch(NAME, new BackupFetch.Options(destination, false, Map.of(), 1)))
                .isInstanceOf(UnsafeManifestException.class)
                .hasMessageStartingWith("backup " + NAME + ": " + key + " is not valid: ")
                .hasMessageNotContaining("\n");
        assertThat(destination).doesNotExist();
    }

    @Test
    void restoredFilesAndDirectoriesAreOwnerOnlyWhateverTheManifestSays() throws IOException {
        Path tablespace = work.resolve("ts");
        BackupFixtures.restorable(storage, CODEC, NAME, dataDirectory(file("pg_tblspc/16385/PG_16_1/t", "x", 0666)),
                directories("pg_tblspc/16385/PG_16_1"), Map.of("16385", "/srv/ts"));
        Path wal = work.resolve("wal");
        fetcher().fetch(NAME, new BackupFetch.Options(destination, false, Map.of("16385", tablespace), 1, wal, false));
        List<Path> restored;
        try (Stream<Path> all = Stream.concat(Stream.concat(Files.walk(destination), Files.walk(tablespace)), Files.walk(wal))) {
            restored = all.filter(p -> !Files.isSymbolicLink(p)).toList();
        }
        assertThat(restored).contains(destination.resolve("base/1/1259"), tablespace.resolve("PG_16_1/t"),
                wal.resolve("archive_status"));
        for (Path p : restored) {
            assertThat(permissions(p)).as(p.toString()).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
        }
        assertThat(Files.readSymbolicLink(destination.resolve("pg_wal"))).isEqualTo(wal);
    }

    private static String permissions(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
