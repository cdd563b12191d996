package io.walstash.core.repository;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.storage.ObjectInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The backup folders of one listing of {@code backups/}, and what their markers say. */
class BackupFoldersPropertiesTest {

    @Provide
    Arbitrary<List<ObjectInfo>> listings() {
        Arbitrary<String> name = Arbitraries.of("base_000000010000000000000002", "base_000000010000000000000002_2",
                "base_000000020000000000000009");
        Arbitrary<String> leaf = Arbitraries.oneOf(Arbitraries.of("manifest.json", "permanent", "deleted", "claim"),
                Arbitraries.strings().withCharRange('a', 'z').withChars('/', '.').ofMinLength(1).ofMaxLength(20)
                        .map(p -> "files/" + p));
        Arbitrary<String> key = Arbitraries.oneOf(
                net.jqwik.api.Combinators.combine(name, leaf).as((n, l) -> "backups/" + n + "/" + l),
                Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8).map(loose -> "backups/" + loose));
        return RepositoryArbitraries.listed(key).list().ofMaxSize(30)
                .map(objects -> new ArrayList<>(objects.stream()
                        .collect(Collectors.toMap(ObjectInfo::key, o -> o, (a, b) -> a, TreeMap::new)).values()));
    }

    @Property
    void anyOrderGivesTheSameFoldersAndEveryByteIsCounted(@ForAll("listings") List<ObjectInfo> listing,
                                                          @ForAll long seed) {
        List<ObjectInfo> shuffled = new ArrayList<>(listing);
        Collections.shuffle(shuffled, new Random(seed));
        BackupFolders a = BackupFolders.of(listing);
        BackupFolders b = BackupFolders.of(shuffled);
        assertThat(b.folders()).isEqualTo(a.folders());
        assertThat(a.storedBytes()).isEqualTo(listing.stream().mapToLong(ObjectInfo::size).sum());
        for (BackupFolders.Folder folder : a.folders()) {
            assertThat(folder.objects()).allSatisfy(o ->
                    assertThat(o.key()).startsWith(RepositoryLayout.backupFolder(folder.name())));
            assertThat(folder.hasManifest()).isEqualTo(listing.stream()
                    .anyMatch(o -> o.key().equals(RepositoryLayout.manifestKey(folder.name()))));
            assertThat(folder.deleted()).isEqualTo(listing.stream()
                    .anyMatch(o -> o.key().equals(RepositoryLayout.deletedKey(folder.name()))));
        }
        long inFolders = a.folders().stream().mapToLong(f -> f.objects().size()).sum();
        assertThat(inFolders).isEqualTo(listing.stream().filter(o -> RepositoryLayout.backupOf(o.key()).isPresent()).count());
    }

    @Example
    void markersAreReadFromTheFolderOnly() {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        BackupFolders folders = BackupFolders.of(List.of(
                new ObjectInfo("backups/a/manifest.json", 10, t),
                new ObjectInfo("backups/a/permanent", 0, t),
                new ObjectInfo("backups/b/files/base/1/1.zst", 5, t),
                new ObjectInfo("backups/b/deleted", 0, t),
                new ObjectInfo("backups/c/files/manifest.json", 1, t),
                new ObjectInfo("backups/LOOSE", 7, t)));
        assertThat(folders.folders()).extracting(BackupFolders.Folder::name).containsExactly("a", "b", "c");
        BackupFolders.Folder a = folders.folder("a").orElseThrow();
        assertThat(a.hasManifest()).isTrue();
        assertThat(a.permanent()).isTrue();
        assertThat(a.deleted()).isFalse();
        assertThat(folders.folder("b").orElseThrow().deleted()).isTrue();
        assertThat(folders.folder("b").orElseThrow().keysExcept("backups/b/deleted"))
                .containsExactly("backups/b/files/base/1/1.zst");
        assertThat(folders.folder("c").orElseThrow().hasManifest()).isFalse();
        assertThat(folders.storedBytes()).isEqualTo(23);
        assertThat(a.storedBytes()).isEqualTo(10);
    }
}
