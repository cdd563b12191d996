package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.ObjectInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two backup-push runs that start in the same WAL segment: each gets a name of its own, and the
 * one that fails removes its own objects only, never the other's.
 */
class BackupClaimTest {
    private static final String WANTED = "base_000000010000000000000007";
    private final InMemoryStorage storage = new InMemoryStorage();
    private final StringWriter log = new StringWriter();

    private BackupClaim claim() throws IOException {
        return BackupClaim.take(storage, WANTED, "walstash test", new PrintWriter(log, true));
    }

    private List<String> keys(String name) throws IOException {
        try (var objects = storage.list(RepositoryLayout.backupFolder(name))) {
            return objects.map(ObjectInfo::key).sorted().toList();
        }
    }

    private void upload(String name, String file) throws IOException {
        assertThat(storage.createIfAbsent(RepositoryLayout.backupFolder(name) + "files/" + file, new ByteArrayInputStream(new byte[3])))
                .isTrue();
    }

    @Test
    void runsStartingTogetherGetDistinctNamesTheFirstKeepingWalgsName() throws Exception {
        int runs = 8;
        CyclicBarrier together = new CyclicBarrier(runs);
        ExecutorService pool = Executors.newFixedThreadPool(runs);
        try {
            List<Future<String>> names = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                names.add(pool.submit(() -> {
                    together.await(30, TimeUnit.SECONDS);
                    return claim().name();
                }));
            }
            Set<String> distinct = new HashSet<>();
            for (Future<String> f : names) {
                distinct.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(runs).contains(WANTED, WANTED + "_2");
            for (String name : distinct) {
                assertThat(keys(name)).containsExactly(RepositoryLayout.claimKey(name));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingRunRemovesItsOwnObjectsOnlyAndNeverACommittedBackup() throws IOException {
        BackupClaim first = claim();
        upload(first.name(), "base/1/1.zst");
        BackupClaim second = claim();
        assertThat(second.name()).isEqualTo(WANTED + "_2");
        upload(second.name(), "base/1/1.zst");

        second.discard();

        assertThat(keys(second.name())).isEmpty();
        assertThat(keys(first.name())).containsExactly(RepositoryLayout.claimKey(WANTED), RepositoryLayout.backupFolder(WANTED) + "files/base/1/1.zst");
        assertThat(log.toString()).contains(WANTED + " is taken").contains("naming this backup " + WANTED + "_2");

        storage.createIfAbsent(RepositoryLayout.manifestKey(first.name()), new ByteArrayInputStream(new byte[] {'{', '}'}));
        first.discard();
        assertThat(keys(first.name())).hasSize(3);
    }

    @Test
    void aFolderLeftByARunThatDiedIsNotReusedNorEmptied() throws IOException {
        upload(WANTED, "base/1/1.zst"); // objects without a claim, as an older walstash that died left them
        BackupClaim claim = claim();
        assertThat(claim.name()).isEqualTo(WANTED + "_2");
        assertThat(keys(WANTED)).containsExactly(RepositoryLayout.backupFolder(WANTED) + "files/base/1/1.zst");
    }
}
