package io.walstash.core.repository;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.wal.SegmentFileName;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The WAL index: one reading of every stored key, whatever order a storage lists them in. */
class WalIndexPropertiesTest {
    private static final Codecs CODECS = Codecs.of(List.of(new DeflateTestCodec()));

    /** Listings as storages give them: distinct keys, WAL of both folders with foreign keys among them. */
    @Provide
    Arbitrary<List<ObjectInfo>> listings() {
        Arbitrary<String> keys = Arbitraries.oneOf(
                RepositoryArbitraries.walKeys().map(WalKey::key),
                // the test codec's extension often, so that Readable has objects to choose between
                RepositoryArbitraries.walKeys().map(k -> WalKey.format(k.folder(), k.name().fileName(), "dft")),
                RepositoryArbitraries.foreignKeys());
        return RepositoryArbitraries.listed(keys).list().ofMaxSize(40)
                .map(objects -> new ArrayList<>(objects.stream()
                        .collect(Collectors.toMap(ObjectInfo::key, o -> o, (a, b) -> a, TreeMap::new)).values()));
    }

    @Property
    void anyOrderOfTheSameListingGivesTheSameIndex(@ForAll("listings") List<ObjectInfo> listing, @ForAll long seed) {
        List<ObjectInfo> shuffled = new ArrayList<>(listing);
        Collections.shuffle(shuffled, new Random(seed));
        WalIndex a = WalIndex.of(listing);
        WalIndex b = WalIndex.of(shuffled);
        assertThat(b.entries()).isEqualTo(a.entries());
        assertThat(b.foreign()).isEqualTo(a.foreign());
        assertThat(b.newestSegment()).isEqualTo(a.newestSegment());
        assertThat(b.storedBytes()).isEqualTo(a.storedBytes());
        WalIndex.Readable ra = a.readable(CODECS);
        WalIndex.Readable rb = b.readable(CODECS);
        assertThat(rb.segments()).isEqualTo(ra.segments());
        assertThat(rb.histories()).isEqualTo(ra.histories());
        assertThat(rb.all()).isEqualTo(ra.all());
        assertThat(rb.unrecognised()).isEqualTo(ra.unrecognised());
    }

    @Property
    void everyListedKeyIsReadOnceAsWalOrReportedAsForeign(@ForAll("listings") List<ObjectInfo> listing) {
        WalIndex index = WalIndex.of(listing);
        List<String> seen = new ArrayList<>(index.entries().stream().map(WalIndex.Entry::key).toList());
        seen.addAll(index.foreign());
        assertThat(seen).containsExactlyInAnyOrderElementsOf(listing.stream().map(ObjectInfo::key).toList());
        for (WalIndex.Entry e : index.entries()) {
            assertThat(WalKey.parse(e.key())).contains(e.walKey());
        }
        for (String foreign : index.foreign()) {
            assertThat(WalKey.parse(foreign)).isEmpty();
        }
        // what verify cannot read is reported, not dropped: readable and unrecognised split the listing too
        WalIndex.Readable readable = index.readable(CODECS);
        assertThat(readable.all().size() + readable.unrecognised().size()).isEqualTo(listing.size());
    }

    @Property
    void walstashsObjectIsPreferredOverWalGsForEveryFileBothHold(@ForAll("listings") List<ObjectInfo> listing) {
        WalIndex.Readable readable = WalIndex.of(listing).readable(CODECS);
        Set<String> walstashFiles = new HashSet<>();
        readable.all().stream().filter(w -> !w.walg()).forEach(w -> walstashFiles.add(w.name().fileName()));
        readable.segments().forEach((name, chosen) -> {
            assertThat(chosen.name()).isEqualTo(name);
            assertThat(chosen.walg()).isEqualTo(!walstashFiles.contains(name.fileName()));
        });
        readable.histories().values().forEach(chosen ->
                assertThat(chosen.walg()).isEqualTo(!walstashFiles.contains(chosen.name().fileName())));
    }

    @Property
    void theNewestSegmentIsTheHighestOneListed(@ForAll("listings") List<ObjectInfo> listing) {
        WalIndex index = WalIndex.of(listing);
        List<SegmentFileName> segments = index.entries().stream().map(WalIndex.Entry::name)
                .filter(SegmentFileName.class::isInstance).map(SegmentFileName.class::cast).toList();
        assertThat(index.newestSegment().map(e -> (SegmentFileName) e.name()))
                .isEqualTo(segments.stream().max(SegmentFileName::compareTo));
        index.newestSegment().ifPresent(newest -> index.entries().stream()
                .filter(e -> e.name().equals(newest.name()))
                .forEach(copy -> assertThat(copy.stored()).isBeforeOrEqualTo(newest.stored())));
    }

    @Example
    void aStorageListingIsIndexedFromBothFolders() throws IOException {
        InMemoryStorage storage = new InMemoryStorage();
        for (String key : List.of("wal/000000010000000000000001.dft", "wal_005/000000010000000000000001.lz4",
                "wal_005/000000010000000000000002", "wal/00000002.history.dft", "wal/notes.txt",
                "backups/base_1/manifest.json", "walstash-repository.properties")) {
            storage.createIfAbsent(key, new ByteArrayInputStream(new byte[3]));
        }
        WalIndex index = WalIndex.list(storage);
        assertThat(index.entries()).extracting(WalIndex.Entry::key).containsExactly("wal/000000010000000000000001.dft",
                "wal/00000002.history.dft", "wal_005/000000010000000000000001.lz4",
                "wal_005/000000010000000000000002");
        assertThat(index.foreign()).containsExactly("wal/notes.txt");
        assertThat(index.storedBytes()).isEqualTo(12);
        assertThat(index.newestSegment().orElseThrow().key()).isEqualTo("wal_005/000000010000000000000002");
        WalIndex.Readable readable = index.readable(CODECS);
        assertThat(readable.segments()).containsOnlyKeys(SegmentFileName.parse("000000010000000000000001"));
        assertThat(readable.histories()).containsOnlyKeys(2L);
        assertThat(readable.unrecognised()).containsExactly("wal/notes.txt", "wal_005/000000010000000000000001.lz4",
                "wal_005/000000010000000000000002");
        assertThat(WalIndex.storedForms(storage, WalFolder.WALSTASH, "000000010000000000000001"))
                .extracting(WalIndex.Entry::key).containsExactly("wal/000000010000000000000001.dft");
    }

    @Example
    void theSameSegmentInBothFoldersShowsTheCopyStoredLast() {
        Instant early = Instant.parse("2026-01-01T00:00:00Z");
        Instant late = early.plusSeconds(60);
        Map<String, Instant> stored = Map.of("wal/000000010000000000000003.dft", early,
                "wal_005/000000010000000000000003.lz4", late);
        WalIndex index = WalIndex.of(stored.entrySet().stream().map(e -> new ObjectInfo(e.getKey(), 1, e.getValue())).toList());
        assertThat(index.newestSegment().orElseThrow().key()).isEqualTo("wal_005/000000010000000000000003.lz4");
        WalIndex tie = WalIndex.of(List.of(new ObjectInfo("wal_005/000000010000000000000003.lz4", 1, early),
                new ObjectInfo("wal/000000010000000000000003.dft", 1, early)));
        assertThat(tie.newestSegment().orElseThrow().key()).isEqualTo("wal/000000010000000000000003.dft");
    }
}
