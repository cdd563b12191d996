package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Manifests with a hostile path, size, key or location anywhere are refused when parsed. */
class ManifestChecksPropertiesTest {

    @Provide
    Arbitrary<String> safeComponents() {
        return Arbitraries.strings().withCharRange('a', 'z').withChars('.', '_', '-', 'é', ' ', '"')
                .ofMinLength(1).ofMaxLength(10).filter(c -> !c.equals(".") && !c.equals(".."));
    }

    @Provide
    Arbitrary<String> safePaths() {
        return safeComponents().list().ofMinSize(1).ofMaxSize(5).map(c -> String.join("/", c));
    }

    /** A safe path made hostile: a traversal, an absolute start, NUL, a backslash, an empty component... */
    @Provide
    Arbitrary<String> hostilePaths() {
        Arbitrary<String> trick = Arbitraries.of("..", ".", "", "a\u0000b", "a\\..\\b", "x\ny", "\u007f");
        return Combinators.combine(safePaths(), trick, Arbitraries.integers().between(0, 3))
                .as((path, bad, where) -> switch (where) {
                    case 0 -> bad + "/" + path;
                    case 1 -> path + "/" + bad;
                    case 2 -> "/" + path + (bad.isEmpty() ? "" : "/" + bad);
                    default -> path.replaceFirst("/|$", "/" + bad + "/");
                }).filter(p -> RelativePath.problem(p).isPresent() || p.startsWith("/"));
    }

    private static BackupManifest manifest(List<BackupManifest.FileEntry> files, List<BackupManifest.Directory> dirs,
                                           Map<String, String> tablespaces) {
        return new BackupManifest(1, "base_000000010000000000000002", "0/2000028", "0/2000100", 1,
                "000000010000000000000002", "000000010000000000000002", "1", 150004, "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:01Z", null, "zstd", 8192, true, 0, 0, false, null, null, tablespaces, dirs, files, "t");
    }

    private static BackupManifest.FileEntry entry(String path, long size, String key) {
        return new BackupManifest.FileEntry(path, size, 0600, 0, false, key, "ab".repeat(32), size, 1, null, null);
    }

    private static final String KEY = "backups/base_000000010000000000000002/files/0.zst";

    @Property
    void safePathsAreAccepted(@ForAll("safePaths") String path) throws Exception {
        BackupManifest m = manifest(List.of(entry(path, 3, KEY)), List.of(new BackupManifest.Directory(path, 0700)), Map.of());
        assertThat(BackupManifest.parse(m.toJson())).isEqualTo(m);
    }

    @Property
    void hostileFilePathsAreRefused(@ForAll("hostilePaths") String path) {
        BackupManifest m = manifest(List.of(entry(path, 3, KEY)), List.of(), Map.of());
        assertThatThrownBy(() -> BackupManifest.parse(m.toJson())).isInstanceOf(UnsafeManifestException.class)
                .hasMessageStartingWith("backup base_000000010000000000000002: file path ").hasMessageNotContaining("\n");
    }

    @Property
    void hostileDirectoryPathsAreRefused(@ForAll("hostilePaths") String path) {
        BackupManifest m = manifest(List.of(), List.of(new BackupManifest.Directory(path, 0700)), Map.of());
        assertThatThrownBy(() -> BackupManifest.parse(m.toJson())).isInstanceOf(UnsafeManifestException.class)
                .hasMessageContaining("directory path ");
    }

    @Property
    void hostileObjectKeysAreRefused(@ForAll("hostilePaths") String path) {
        BackupManifest m = manifest(List.of(entry("base/1/1", 3, "backups/" + path)), List.of(), Map.of());
        assertThatThrownBy(() -> BackupManifest.parse(m.toJson())).isInstanceOf(UnsafeManifestException.class)
                .hasMessageContaining("is stored as");
    }

    @Property
    void relativeOrUnnormalisedTablespaceLocationsAreRefused(@ForAll("hostilePaths") String path) {
        // an absolute path is a fine location when what follows its first '/' is normalised
        net.jqwik.api.Assume.that(!path.startsWith("/") || RelativePath.problem(path.substring(1)).isPresent());
        BackupManifest m = manifest(List.of(), List.of(), Map.of("16385", path));
        assertThatThrownBy(() -> BackupManifest.parse(m.toJson())).isInstanceOf(UnsafeManifestException.class)
                .hasMessageContaining("tablespace 16385 location");
    }

    @Property
    void negativeSizesAreRefused(@ForAll("safePaths") String path, @ForAll long size) {
        BackupManifest.FileEntry bad = new BackupManifest.FileEntry(path, -1 - Math.abs(size % 1000), 0600, 0, true, KEY,
                "ab".repeat(32), 5, 1, null, null);
        assertThatThrownBy(() -> BackupManifest.parse(manifest(List.of(bad), List.of(), Map.of()).toJson()))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("negative size");
    }

    @Property(tries = 50)
    void aBackupNameOrDeltaBaseThatIsNotOneIsRefused(@ForAll("hostilePaths") String name) {
        BackupManifest m = manifest(List.of(), List.of(), Map.of());
        String json = new String(m.toJson(), java.nio.charset.StandardCharsets.UTF_8);
        String renamed = json.replace("\"name\" : \"base_000000010000000000000002\"",
                "\"name\" : " + com.fasterxml.jackson.databind.node.TextNode.valueOf(name));
        assertThatThrownBy(() -> BackupManifest.parse(renamed.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("not a backup name");
        String delta = "{\"deltaBase\" : " + com.fasterxml.jackson.databind.node.TextNode.valueOf(name) + ","
                + json.substring(json.indexOf('{') + 1);
        assertThatThrownBy(() -> BackupManifest.parse(delta.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("delta base");
    }
}
