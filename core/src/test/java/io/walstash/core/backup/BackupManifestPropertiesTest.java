package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class BackupManifestPropertiesTest {

    @Provide
    Arbitrary<BackupManifest.FileEntry> entries() {
        Arbitrary<String> paths = Arbitraries.strings().withCharRange('a', 'z').withChars('.', '_', 'é', '"')
                .ofMinLength(1).ofMaxLength(12).filter(c -> !c.equals(".") && !c.equals(".."))
                .list().ofMinSize(1).ofMaxSize(4).map(c -> String.join("/", c));
        return Combinators.combine(paths, Arbitraries.longs().greaterOrEqual(0), Arbitraries.integers().between(0, 0777),
                Arbitraries.longs(), Arbitraries.of(true, false),
                Arbitraries.strings().numeric().ofLength(64),
                Arbitraries.longs().between(0, 5).list().ofMaxSize(3), Arbitraries.of(BackupManifest.HashedBytes.class))
                .as((path, size, mode, modified, delta, sha, corrupt, hashed) -> new BackupManifest.FileEntry(path, size,
                        mode, modified, delta, "backups/x/files/" + path + ".zst", sha, hashed, delta ? size / 2 : size,
                        size / 3, corrupt, null));
    }

    @Provide
    Arbitrary<BackupManifest.FileEntry> partedEntries() {
        // an object's parts are hashed over the same bytes as the object
        return entries().flatMap(e -> Combinators.combine(Arbitraries.longs().between(0, 1L << 40),
                        Arbitraries.longs().between(0, 1L << 40), Arbitraries.strings().withChars("0123456789abcdef").ofLength(64))
                .as((plain, stored, sha) -> new BackupManifest.Part(plain, stored, sha, e.hashed()))
                .list().ofMinSize(2).ofMaxSize(40)
                .map(list -> new BackupManifest.FileEntry(e.path(), list.stream().mapToLong(BackupManifest.Part::plainSize).sum(),
                        e.mode(), e.modified(), false,
                        e.objectKey(), BackupManifest.Part.sha256Of(list), e.hashed(),
                        list.stream().mapToLong(BackupManifest.Part::plainSize).sum(),
                        list.stream().mapToLong(BackupManifest.Part::storedSize).sum(), e.corruptPages(), list)));
    }

    @Provide
    Arbitrary<BackupManifest> manifests() {
        // backup_label as PostgreSQL writes it: text, never NUL (a manifest with NUL in it is refused)
        Arbitrary<String> text = Arbitraries.strings().ofMaxLength(200).map(t -> t.replace("\u0000", ""));
        return Combinators.combine(Arbitraries.oneOf(entries(), partedEntries()).list().ofMaxSize(20)
                        .uniqueElements(BackupManifest.FileEntry::path), text, Arbitraries.of(true, false),
                Arbitraries.longs().between(1, 0xFFFFFFFFL), Arbitraries.strings().withCharRange('0', '9').ofLength(24),
                Arbitraries.of(null, "base_000000010000000000000002"), Arbitraries.of(null, "16385 /srv/ts\n"))
                .as((files, label, permanent, timeline, segment, base, map) -> new BackupManifest(
                        BackupManifest.formatFor(files), "base_" + segment + (base == null ? "" : "_D_" + base.substring(5)),
                        "0/2000028", "0/2000100", timeline, segment, segment, "7301234567890123456", 150004,
                        "2026-11-24T06:00:00Z", "2026-11-24T06:01:00.123Z", base, "zstd", 8192, permanent,
                        12345, 678, permanent, label, map, map == null ? Map.of() : Map.of("16385", "/srv/ts"),
                        List.of(new BackupManifest.Directory("base", 0700)), files, "walstash test"));
    }

    @Property
    void aManifestSurvivesItsJson(@ForAll("manifests") BackupManifest manifest) throws IOException {
        assertThat(BackupManifest.parse(manifest.toJson())).isEqualTo(manifest);
    }

    @Property
    void aManifestIsWrittenInTheOldestFormatThatHoldsItsFiles(@ForAll("manifests") BackupManifest manifest) {
        boolean parted = manifest.files().stream().anyMatch(f -> f.parts() != null);
        boolean stored = manifest.files().stream().anyMatch(f -> f.hashed() == BackupManifest.HashedBytes.STORED);
        assertThat(manifest.formatVersion()).isEqualTo(stored ? 4 : parted ? 2 : 1);
        String json = new String(manifest.toJson(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json.contains("\"parts\"")).isEqualTo(parted);
        // a checksum over stored bytes is never written where an older walstash would take it for a plain one
        assertThat(json.contains("\"storedSha256\"")).isEqualTo(stored);
        long plainChecksums = manifest.files().stream().filter(f -> f.hashed() == BackupManifest.HashedBytes.PLAIN)
                .mapToLong(f -> 1 + (f.parts() == null ? 0 : f.parts().size())).sum();
        assertThat(json.split("\"sha256\"", -1).length - 1L).isEqualTo(plainChecksums);
    }

    @Property(tries = 100)
    void partsThatDoNotAddUpToTheEntryAreRefused(@ForAll("partedEntries") BackupManifest.FileEntry entry) {
        List<BackupManifest.Part> dropped = entry.parts().subList(1, entry.parts().size());
        BackupManifest.Part first = entry.parts().get(0);
        org.assertj.core.api.Assumptions.assumeThat(first.plainSize() + first.storedSize()).isPositive();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BackupManifest.FileEntry(entry.path(), entry.size(),
                        entry.mode(), entry.modified(), false, entry.objectKey(), BackupManifest.Part.sha256Of(dropped),
                        entry.hashed(), entry.plainSize(), entry.storedSize(), null, dropped))
                .isInstanceOf(IllegalArgumentException.class);
        List<BackupManifest.Part> swapped = new java.util.ArrayList<>(entry.parts());
        java.util.Collections.swap(swapped, 0, 1);
        org.assertj.core.api.Assumptions.assumeThat(swapped.get(0).sha256()).isNotEqualTo(swapped.get(1).sha256());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BackupManifest.FileEntry(entry.path(), entry.size(),
                        entry.mode(), entry.modified(), false, entry.objectKey(), entry.sha256(),
                        entry.hashed(), entry.plainSize(), entry.storedSize(), null, swapped))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not match its sha256");
    }

    @Property(tries = 50)
    void unknownFieldsFromANewerWriterAreIgnored(@ForAll("manifests") BackupManifest manifest) throws IOException {
        String json = new String(manifest.toJson(), java.nio.charset.StandardCharsets.UTF_8);
        String extended = json.replaceFirst("\\{", "{\"addedLater\": [1, 2],");
        assertThat(BackupManifest.parse(extended.getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(manifest);
    }
}
