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
                Arbitraries.longs().between(0, 5).list().ofMaxSize(3))
                .as((path, size, mode, modified, delta, sha, corrupt) -> new BackupManifest.FileEntry(path, size, mode,
                        modified, delta, "backups/x/files/" + path + ".zst", sha, delta ? size / 2 : size, size / 3, corrupt, null));
    }

    @Provide
    Arbitrary<BackupManifest.FileEntry> partedEntries() {
        Arbitrary<BackupManifest.Part> parts = Combinators.combine(Arbitraries.longs().between(0, 1L << 40),
                        Arbitraries.longs().between(0, 1L << 40), Arbitraries.strings().withChars("0123456789abcdef").ofLength(64))
                .as(BackupManifest.Part::new);
        return Combinators.combine(entries(), parts.list().ofMinSize(2).ofMaxSize(40))
                .as((e, list) -> new BackupManifest.FileEntry(e.path(), list.stream().mapToLong(BackupManifest.Part::plainSize).sum(),
                        e.mode(), e.modified(), false,
                        e.objectKey(), BackupManifest.Part.sha256Of(list),
                        list.stream().mapToLong(BackupManifest.Part::plainSize).sum(),
                        list.stream().mapToLong(BackupManifest.Part::storedSize).sum(), e.corruptPages(), list));
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
    void aManifestIsWrittenInTheOldFormatUnlessAFileHasParts(@ForAll("manifests") BackupManifest manifest) {
        boolean parted = manifest.files().stream().anyMatch(f -> f.parts() != null);
        assertThat(manifest.formatVersion()).isEqualTo(parted ? 2 : 1);
        assertThat(new String(manifest.toJson(), java.nio.charset.StandardCharsets.UTF_8).contains("\"parts\""))
                .isEqualTo(parted);
    }

    @Property(tries = 100)
    void partsThatDoNotAddUpToTheEntryAreRefused(@ForAll("partedEntries") BackupManifest.FileEntry entry) {
        List<BackupManifest.Part> dropped = entry.parts().subList(1, entry.parts().size());
        BackupManifest.Part first = entry.parts().get(0);
        org.assertj.core.api.Assumptions.assumeThat(first.plainSize() + first.storedSize()).isPositive();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BackupManifest.FileEntry(entry.path(), entry.size(),
                        entry.mode(), entry.modified(), false, entry.objectKey(), BackupManifest.Part.sha256Of(dropped),
                        entry.plainSize(), entry.storedSize(), null, dropped))
                .isInstanceOf(IllegalArgumentException.class);
        List<BackupManifest.Part> swapped = new java.util.ArrayList<>(entry.parts());
        java.util.Collections.swap(swapped, 0, 1);
        org.assertj.core.api.Assumptions.assumeThat(swapped.get(0).sha256()).isNotEqualTo(swapped.get(1).sha256());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BackupManifest.FileEntry(entry.path(), entry.size(),
                        entry.mode(), entry.modified(), false, entry.objectKey(), entry.sha256(),
                        entry.plainSize(), entry.storedSize(), null, swapped))
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
