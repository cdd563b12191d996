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
        return new BackupManifest(BackupManifest.formatFor(files), "base_000000010000000000000002", "0/2000028", "0/2000100", 1,
                "000000010000000000000002", "000000010000000000000002", "1", 150004, "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:01Z", null, "zstd", 8192, true, 0, 0, false, null, null, tablespaces, dirs, files, "t");
    }

    private static BackupManifest.FileEntry entry(String path, long size, String key) {
        return new BackupManifest.FileEntry(path, size, 0600, 0, false, key, "ab".repeat(32), BackupManifest.HashedBytes.STORED, size, 1,
                null, null);
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
                "ab".repeat(32), BackupManifest.HashedBytes.STORED, 5, 1, null, null);
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

    /** Strings near the edges of the checks: the characters they turn on, lengths around their limits. */
    @Provide
    Arbitrary<String> nearMisses() {
        return Arbitraries.strings().withChars("aAzZ09fgF_.-/\\ \u0000\u00e9").ofMinLength(0).ofMaxLength(260)
                .edgeCases(e -> e.add("0".repeat(64)).add("ab".repeat(32)).add("a".repeat(200)).add("a".repeat(201))
                        .add("a/" + "b".repeat(255)).add("a/" + "b".repeat(256)).add("backups/x/y").add("backups//y")
                        .add("0123456789").add("01").add("12345678901"));
    }

    // The character loops replaced these regular expressions (and String.split): they must accept exactly the same.
    @Property
    void theBackupNameCheckAcceptsExactlyWhatItsPatternDescribes(@ForAll("nearMisses") String text) {
        assertThat(ManifestChecks.isBackupName(text)).isEqualTo(text.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,199}"));
    }

    @Property
    void theChecksumCheckAcceptsExactlySixtyFourLowerCaseHexDigits(@ForAll("nearMisses") String text) {
        String hex = text.replace('g', '7').replace('_', 'c').replace('.', 'e');
        assertThat(ManifestChecks.isSha256Hex(hex)).isEqualTo(hex.matches("[0-9a-f]{64}"));
        String padded = (hex + "0".repeat(64)).substring(0, 64);
        assertThat(ManifestChecks.isSha256Hex(padded)).isEqualTo(padded.matches("[0-9a-f]{64}"));
    }

    @Property
    void componentsAreJudgedAsSplittingOnSlashesWould(@ForAll("nearMisses") String text) {
        if (text.isEmpty() || text.startsWith("/") || text.length() > RelativePath.MAX_LENGTH
                || text.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '\\')) {
            return; // refused before components are looked at
        }
        String expected = null;
        for (String component : text.split("/", -1)) {
            if (component.isEmpty()) {
                expected = "has an empty component";
            } else if (component.equals(".") || component.equals("..")) {
                expected = "has a '" + component + "' component";
            } else if (component.length() > RelativePath.MAX_COMPONENT) {
                expected = "has a component longer than " + RelativePath.MAX_COMPONENT + " characters";
            }
            if (expected != null) {
                break;
            }
        }
        assertThat(RelativePath.problem(text).orElse(null)).isEqualTo(expected);
    }

    @Property
    void anObjectKeyMustNameABackupFolderAndSomethingInIt(@ForAll("nearMisses") String tail) {
        String key = "backups/" + tail;
        boolean expected = RelativePath.problem(key).isEmpty() && key.length() <= 1024
                && key.split("/").length >= 3 && key.split("/")[1].matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,199}");
        assertThat(ManifestChecks.keyProblem(key).isEmpty()).isEqualTo(expected);
    }
}
