package io.walstash.core.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.repository.StreamedPartial;
import io.walstash.core.storage.DeleteLimitedStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RetentionExecutorTest {
    static final WalSegmentSize SIZE = WalSegmentSize.DEFAULT;
    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    static final RetentionPolicy FULL_2 = new RetentionPolicy.Retain(RetentionPolicy.Scope.FULL, 2, null);

    /** Three fulls with a delta each on timeline 3, then a major upgrade: two fulls and a delta on timeline 1. */
    static InMemoryStorage repository() throws IOException {
        InMemoryStorage storage = new InMemoryStorage();
        long segment = 10;
        Instant time = T0;
        for (int i = 0; i < 3; i++) {
            BackupManifest full = BackupFixtures.write(storage, SIZE, 3, segment, segment + 1, time, time.plusSeconds(60), null, false, 3);
            BackupFixtures.write(storage, SIZE, 3, segment + 3, segment + 3, time.plusSeconds(3600), time.plusSeconds(3700), full, false, 2);
            segment += 10;
            time = time.plus(Duration.ofDays(1));
        }
        for (int i = 0; i < 2; i++) {
            BackupManifest full = BackupFixtures.write(storage, SIZE, 1, segment, segment + 1, time, time.plusSeconds(60), null, false, 3);
            if (i == 1) {
                BackupFixtures.write(storage, SIZE, 1, segment + 3, segment + 4, time.plusSeconds(3600), time.plusSeconds(3700), full, false, 2);
            }
            segment += 10;
            time = time.plus(Duration.ofDays(1));
        }
        for (long s = 5; s < segment; s++) {
            long timeline = s < 40 ? 3 : 1;
            put(storage, "wal/" + SegmentFileName.of(timeline, s, SIZE).fileName() + ".zst");
        }
        put(storage, "wal/00000003.history.zst");
        put(storage, "wal/" + SegmentFileName.of(3, 39, SIZE).fileName() + ".partial.zst");
        return storage;
    }

    static void put(Storage storage, String key) throws IOException {
        storage.createIfAbsent(key, new ByteArrayInputStream(key.getBytes()));
    }

    static RetentionExecutor.Result run(Storage storage, RetentionPolicy policy, int batch) throws IOException {
        RetentionPlan plan = RetentionPlanner.plan(policy, RepositoryListing.scan(storage), T0.plus(Duration.ofDays(10)));
        return new RetentionExecutor(storage, batch).execute(plan, RetentionExecutor.Progress.NONE);
    }

    /** Every listed backup has its manifest's objects, its whole chain, and no folder is left half-deleted. */
    static void assertConsistent(InMemoryStorage storage) throws IOException {
        BackupCatalog catalog = new BackupCatalog(storage);
        Set<String> keys = storage.keys();
        for (BackupCatalog.Backup b : catalog.list()) {
            for (BackupManifest m : catalog.chain(b.manifest())) {
                for (BackupManifest.FileEntry f : m.files()) {
                    assertThat(keys).as(b.name() + " needs " + f.objectKey()).contains(f.objectKey());
                }
            }
        }
    }

    @Test
    void retainFull2KeepsTheNewestByTimeNotByName() throws IOException {
        InMemoryStorage storage = repository();
        RetentionExecutor.Result result = run(storage, FULL_2, 2);
        List<String> left = new BackupCatalog(storage).list().stream().map(BackupCatalog.Backup::name).toList();
        // the new cluster's backups (timeline 1) sort first by name but are the newest
        assertThat(left).containsExactlyInAnyOrder("base_000000010000000000000028", "base_000000010000000000000032",
                "base_000000010000000000000035_D_000000010000000000000032");
        assertThat(result.deletedFolders()).hasSize(6);
        Set<String> keys = storage.keys();
        assertThat(keys.stream().filter(k -> k.startsWith("backups/base_00000003"))).isEmpty();
        // WAL before the oldest kept start (segment 0x28) is gone, on every timeline; later WAL and history stay
        assertThat(keys).contains("wal/00000003.history.zst", "wal/000000010000000000000028.zst", "wal/000000010000000000000031.zst")
                .doesNotContain("wal/000000030000000000000027.zst", "wal/000000030000000000000005.zst",
                        "wal/000000030000000000000027.partial.zst");
        assertConsistent(storage);
    }

    @Test
    void streamedPartialsGoWithTheWalAroundThemAndOnceTheirSegmentIsArchivedWhole() throws IOException {
        InMemoryStorage storage = repository();
        String old = StreamedPartial.folder(SegmentFileName.of(3, 0x27, SIZE)) + "00004000.zst";
        String archivedWhole = StreamedPartial.folder(SegmentFileName.of(1, 0x30, SIZE)) + "00002000.zst";
        String open = StreamedPartial.folder(SegmentFileName.of(1, 0x40, SIZE)) + "00006000.zst";
        for (String key : List.of(old, archivedWhole, open)) {
            put(storage, key);
        }
        put(storage, "stream/not-a-segment/00002000.zst"); // a stray object is left alone, never an error

        run(storage, FULL_2, 2);
        // before the oldest kept backup's start (segment 0x28): gone with the WAL there; later ones stay
        assertThat(storage.keys()).doesNotContain(old).contains(archivedWhole, open, "stream/not-a-segment/00002000.zst");

        RetentionPlan garbage = RetentionPlanner.garbage(RepositoryListing.scan(storage), T0.plus(Duration.ofDays(10)),
                Duration.ofHours(24));
        new RetentionExecutor(storage, 2).execute(garbage, RetentionExecutor.Progress.NONE);
        // segment 0x30 of timeline 1 is archived whole: its partial is never read again; 0x40 is not archived
        assertThat(storage.keys()).doesNotContain(archivedWhole).contains(open, "wal/000000010000000000000030.zst");
    }

    @Test
    void anInterruptedRunFollowedByASecondRunEndsLikeAnUninterruptedOne() throws IOException {
        InMemoryStorage reference = repository();
        run(reference, FULL_2, 3);
        Set<String> expected = new TreeSet<>(reference.keys());
        int totalDeletes = repository().keys().size() - expected.size();
        Set<Integer> seenStops = new HashSet<>();
        for (int allowed = 0; allowed <= totalDeletes + 10; allowed++) {
            InMemoryStorage storage = repository();
            DeleteLimitedStorage failing = new DeleteLimitedStorage(storage, allowed);
            try {
                run(failing, FULL_2, 3);
            } catch (IOException e) {
                assertThat(e).hasMessageContaining("injected failure");
                seenStops.add(allowed);
            }
            assertConsistent(storage);
            run(storage, FULL_2, 3);
            assertThat(new TreeSet<>(storage.keys())).as("after stopping at " + allowed + " deletes").isEqualTo(expected);
        }
        assertThat(seenStops).as("interrupted at many points").hasSizeGreaterThan(20);
    }

    @Test
    void aMarkedFolderIsNoBackupEvenWithItsManifest() throws IOException {
        InMemoryStorage storage = repository();
        String name = "base_00000003000000000000000D_D_00000003000000000000000A";
        put(storage, RepositoryLayout.deletedKey(name));
        BackupCatalog catalog = new BackupCatalog(storage);
        assertThat(catalog.list()).extracting(BackupCatalog.Backup::name).doesNotContain(name).hasSize(8);
        assertThatThrownBy(() -> catalog.read(name)).isInstanceOf(BackupCatalog.NoSuchBackupException.class)
                .hasMessageContaining("being deleted");
        // the next delete of any kind finishes it first
        RetentionPlan plan = RetentionPlanner.plan(new RetentionPolicy.Retain(RetentionPolicy.Scope.ALL, 100, null),
                RepositoryListing.scan(storage), T0);
        assertThat(plan.deletions()).singleElement().satisfies(d -> {
            assertThat(d.name()).isEqualTo(name);
            assertThat(d.reason()).contains("interrupted");
        });
        new RetentionExecutor(storage).execute(plan, RetentionExecutor.Progress.NONE);
        assertThat(storage.keys().stream().filter(k -> k.startsWith(RepositoryLayout.backupFolder(name)))).isEmpty();
    }

    @Test
    void aBackupMarkedPermanentAfterPlanningIsSkipped() throws IOException {
        InMemoryStorage storage = repository();
        RetentionPlan plan = RetentionPlanner.plan(FULL_2, RepositoryListing.scan(storage), T0.plus(Duration.ofDays(10)));
        String victim = plan.deletions().get(plan.deletions().size() - 1).name();
        new BackupCatalog(storage).mark(victim, true);
        RetentionExecutor.Result result = new RetentionExecutor(storage).execute(plan, RetentionExecutor.Progress.NONE);
        assertThat(result.skipped()).first().asString().contains(victim, "permanent");
        assertThat(new BackupCatalog(storage).list()).extracting(BackupCatalog.Backup::name).contains(victim);
        // the planned WAL deletion assumed the victim goes: it waits for a new plan
        assertThat(result.walDeleted()).isZero();
        assertThat(plan.wal()).isNotEmpty().allSatisfy(w -> assertThat(storage.keys()).contains(w.key()));
    }

    @Test
    void garbageRemovesStaleUnfinishedFoldersButNotRecentOnes() throws IOException {
        InMemoryStorage storage = repository();
        put(storage, "backups/base_000000010000000000000050/files/base/1/1.zst"); // written now: a running push
        Instant now = Instant.now();
        RetentionPlan plan = RetentionPlanner.garbage(RepositoryListing.scan(storage), now.plus(Duration.ofHours(25)),
                Duration.ofHours(24));
        assertThat(plan.deletions()).extracting(RetentionPlan.Deletion::name).containsExactly("base_000000010000000000000050");
        RetentionPlan young = RetentionPlanner.garbage(RepositoryListing.scan(storage), now, Duration.ofHours(24));
        assertThat(young.deletions()).isEmpty();
        assertThat(young.notes()).anyMatch(n -> n.contains("base_000000010000000000000050") && n.contains("a backup may still be running"));
        // WAL before the earliest backup (segment 10) goes; history stays
        assertThat(young.wal()).extracting(WalObject::key).containsExactly("wal/000000030000000000000005.zst",
                "wal/000000030000000000000006.zst", "wal/000000030000000000000007.zst", "wal/000000030000000000000008.zst",
                "wal/000000030000000000000009.zst");
        new RetentionExecutor(storage).execute(plan, RetentionExecutor.Progress.NONE);
        assertThat(storage.keys().stream().filter(k -> k.contains("000000010000000000000050"))).isEmpty();
        assertThat(new BackupCatalog(storage).list()).hasSize(9);
        assertThat(storage.keys().stream().collect(Collectors.toSet())).doesNotContain("wal/000000030000000000000009.zst");
    }
}
