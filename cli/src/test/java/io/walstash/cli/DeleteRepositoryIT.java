package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.retention.RepositoryListing;
import io.walstash.core.retention.RetentionExecutor;
import io.walstash.core.retention.RetentionPlan;
import io.walstash.core.retention.RetentionPlanner;
import io.walstash.core.retention.RetentionPolicy;
import io.walstash.core.spool.PushResult;
import io.walstash.core.storage.DeleteLimitedStorage;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import io.walstash.storage.s3.S3ProxyServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code delete} against real repositories, on file:// and on S3 (s3proxy): backups written
 * through the Storage SPI as backup-push writes them, WAL pushed through the WAL archive,
 * including a major-version upgrade after which the newer backups have lower-sorting names.
 */
class DeleteRepositoryIT {
    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    static final WalSegmentSize SIZE = new WalSegmentSize(WalSegmentFiles.SEGMENT_SIZE);
    static final Instant T0 = Instant.parse("2026-10-01T00:00:00Z");
    // the old cluster on timeline 3; after pg_upgrade the new one on timeline 1, WAL continuing
    static final List<String> OLD = List.of("base_000000030000000000000010",
            "base_000000030000000000000012_D_000000030000000000000010", "base_000000030000000000000014",
            "base_000000030000000000000016_D_000000030000000000000014", "base_000000030000000000000018");
    static final List<String> NEW = List.of("base_00000001000000000000001A",
            "base_00000001000000000000001C_D_00000001000000000000001A", "base_00000001000000000000001E");

    @TempDir
    Path dir;

    /** A fresh repository on {@code backend}: its config file for the CLI and its settings. */
    record Repository(String configFile, Map<String, String> settings) {
        Storage open() throws IOException {
            Configuration c = Configuration.of(settings);
            return Storages.open(StorageLocation.configured(c), c.settings());
        }

        Set<String> keys() throws IOException {
            try (Storage storage = open(); Stream<ObjectInfo> all = storage.list("")) {
                return all.map(ObjectInfo::key).collect(Collectors.toCollection(TreeSet::new));
            }
        }

        CliRun cli(String... args) {
            String[] full = Stream.concat(Stream.of(args), Stream.of("--config", configFile)).toArray(String[]::new);
            return CliRun.of(full);
        }
    }

    private int repositories;

    private Repository repository(String backend) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        int n = ++repositories;
        if (backend.equals("file")) {
            settings.put("WALSTASH_STORAGE", dir.resolve("repository-" + n).toUri().toString());
        } else {
            settings.putAll(S3.settings("s3://" + S3.newBucket() + "/pg"));
        }
        settings.put("WALSTASH_COMPRESSION", "lz4");
        Path config = dir.resolve("walstash-" + n + ".env");
        Files.writeString(config, settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")));
        Repository repository = new Repository(config.toString(), settings);
        populate(repository);
        return repository;
    }

    private void populate(Repository repository) throws Exception {
        Path wal = Files.createDirectories(dir.resolve("wal-" + repositories));
        try (Storage storage = repository.open();
             WalArchive archive = new WalArchive(storage, Codecs.installed().byName("lz4"), Codecs.installed(), "test",
                     Clock.systemUTC())) {
            for (long s = 0x0E; s <= 0x1F; s++) {
                long timeline = s < 0x1A ? 3 : 1;
                String name = SegmentFileName.of(timeline, s, SIZE).fileName();
                push(archive, WalSegmentFiles.segment(wal, name, BackupFixtures.SYSTEM_ID, s));
            }
            String last = SegmentFileName.of(3, 0x19, SIZE).fileName();
            push(archive, WalSegmentFiles.segment(wal, last + ".partial", last, BackupFixtures.SYSTEM_ID, 99,
                    WalSegmentFiles.SEGMENT_SIZE));
            push(archive, Files.writeString(wal.resolve("00000003.history"),
                    "1\t0/5000000\tno recovery target specified\n2\t0/8000000\tno recovery target specified\n"));
            Instant time = T0;
            BackupManifest base = null;
            for (String name : Stream.concat(OLD.stream(), NEW.stream()).toList()) {
                SegmentFileName start = SegmentFileName.parse(name.substring(5, 29));
                long number = start.segmentNumber(SIZE);
                boolean delta = name.contains("_D_");
                base = BackupFixtures.write(storage, SIZE, start.timeline(), number, number + 1, time,
                        time.plus(Duration.ofMinutes(10)), delta ? base : null, false, 3);
                assertThat(base.name()).isEqualTo(name);
                time = time.plus(Duration.ofDays(1));
            }
        }
    }

    private static void push(WalArchive archive, Path file) throws IOException {
        assertThat(archive.push(file)).isInstanceOf(PushResult.Archived.class);
    }

    private static List<String> backupNames(Repository repository) throws IOException {
        try (Storage storage = repository.open()) {
            return new BackupCatalog(storage).list().stream().map(BackupCatalog.Backup::name).toList();
        }
    }

    /** Every listed backup has all the objects of its chain; no folder is marked or lacks its manifest. */
    private static void assertConsistent(Repository repository, boolean finished) throws IOException {
        Set<String> keys = repository.keys();
        try (Storage storage = repository.open()) {
            BackupCatalog catalog = new BackupCatalog(storage);
            for (BackupCatalog.Backup b : catalog.list()) {
                for (BackupManifest m : catalog.chain(b.manifest())) {
                    m.files().forEach(f -> assertThat(keys).as(b.name() + " needs " + f.objectKey()).contains(f.objectKey()));
                }
            }
            if (finished) {
                RepositoryListing listing = RepositoryListing.scan(storage);
                assertThat(listing.otherFolders()).as("leftover folders").isEmpty();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void dryRunPrintsThePlanAndDeletesNothing(String backend) throws Exception {
        Repository repository = repository(backend);
        Set<String> before = repository.keys();
        CliRun dry = repository.cli("delete", "retain", "FULL", "2");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("delete retain FULL 2", "dry run: nothing was deleted",
                "keep    base_00000001000000000000001E", "one of the 2 newest full backups",
                "DELETE  base_000000030000000000000018", "older than the 2 newest full backups",
                "timeline 3: 00000003000000000000000E .. 000000030000000000000019, 13 objects")
                .doesNotContain("DELETE  base_00000001");
        assertThat(repository.keys()).isEqualTo(before);

        CliRun json = repository.cli("delete", "retain", "FULL", "2", "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode plan = new ObjectMapper().readTree(json.out());
        assertThat(plan.get("dry_run").asBoolean()).isTrue();
        assertThat(plan.get("delete_backups")).hasSize(5);
        assertThat(plan.get("delete_wal").get("keys")).hasSize(13);
        assertThat(plan.get("delete_backups").get(0).get("keys").toString()).contains("manifest.json");
        CliRun verbose = repository.cli("delete", "retain", "FULL", "2", "-v");
        assertThat(verbose.out()).contains("wal/000000030000000000000019.partial.lz4",
                "backups/base_000000030000000000000010/files/base/1/16384.zst");
        assertThat(repository.keys()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void retainFull2KeepsTheNewestBackupsByTimeAndTheirWal(String backend) throws Exception {
        Repository repository = repository(backend);
        CliRun delete = repository.cli("delete", "retain", "FULL", "2", "--confirm");
        assertThat(delete.exitCode()).as(delete.err()).isZero();
        assertThat(delete.out()).contains("deleted 5 backup folder(s) and 13 WAL object(s)");

        assertThat(backupNames(repository)).containsExactlyInAnyOrderElementsOf(NEW);
        Set<String> keys = repository.keys();
        assertThat(keys.stream().filter(k -> k.startsWith("backups/base_00000003"))).isEmpty();
        assertThat(keys.stream().filter(k -> k.startsWith("wal/00000003000000"))).isEmpty();
        assertThat(keys).contains("wal/00000003.history.lz4");
        for (long s = 0x1A; s <= 0x1F; s++) {
            assertThat(keys).contains("wal/" + SegmentFileName.of(1, s, SIZE).fileName() + ".lz4");
        }
        assertConsistent(repository, true);
        // the WAL that stays is intact
        CliRun fetch = repository.cli("wal-fetch", "00000001000000000000001B", dir.resolve("fetched").toString());
        assertThat(fetch.exitCode()).as(fetch.err()).isZero();

        // running it again changes nothing
        CliRun again = repository.cli("delete", "retain", "FULL", "2", "--confirm");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("deleted 0 backup folder(s) and 0 WAL object(s)");
        assertThat(repository.keys()).isEqualTo(keys);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void permanentBackupsTheirChainAndTheirWalSurvive(String backend) throws Exception {
        Repository repository = repository(backend);
        CliRun mark = repository.cli("backup-mark", OLD.get(1));
        assertThat(mark.exitCode()).as(mark.err()).isZero();
        CliRun delete = repository.cli("delete", "retain", "FULL", "2", "--confirm");
        assertThat(delete.exitCode()).as(delete.err()).isZero();
        assertThat(delete.out()).contains("keep    " + OLD.get(1), ": permanent", "deleted 3 backup folder(s) and 9 WAL object(s)");
        assertThat(backupNames(repository)).containsExactlyInAnyOrder(OLD.get(0), OLD.get(1), NEW.get(0), NEW.get(1), NEW.get(2));
        Set<String> keys = repository.keys();
        for (long s = 0x10; s <= 0x13; s++) { // from the permanent chain's starts to their stops
            assertThat(keys).contains("wal/" + SegmentFileName.of(3, s, SIZE).fileName() + ".lz4");
        }
        assertThat(keys).doesNotContain("wal/00000003000000000000000F.lz4", "wal/000000030000000000000014.lz4");
        assertConsistent(repository, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void anInterruptedDeleteIsFinishedByTheNextRun(String backend) throws Exception {
        Repository reference = repository(backend);
        assertThat(reference.cli("delete", "retain", "FULL", "2", "--confirm").exitCode()).isZero();
        Set<String> expected = reference.keys();
        // stop inside the first folder, between folders, and in the WAL phase
        for (int allowed : new int[] {1, 2, 9, 24}) {
            Repository repository = repository(backend);
            try (Storage storage = repository.open()) {
                RetentionPlan plan = RetentionPlanner.plan(new RetentionPolicy.Retain(RetentionPolicy.Scope.FULL, 2, null),
                        RepositoryListing.scan(storage), Instant.now());
                assertThatThrownBy(() -> new RetentionExecutor(new DeleteLimitedStorage(storage, allowed), 4)
                        .execute(plan, RetentionExecutor.Progress.NONE)).hasMessageContaining("injected failure");
            }
            assertConsistent(repository, false);
            List<String> listed = backupNames(repository);
            assertThat(listed).containsAll(NEW);

            CliRun second = repository.cli("delete", "retain", "FULL", "2", "--confirm");
            assertThat(second.exitCode()).as(second.err()).isZero();
            if (allowed < 24) {
                assertThat(second.out()).contains("an earlier delete was interrupted after marking it");
            }
            assertConsistent(repository, true);
            assertThat(repository.keys()).as("after stopping at " + allowed + " deletes").isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void garbageRemovesMarkedAndStaleFoldersAndWalBeforeTheFirstBackup(String backend) throws Exception {
        Repository repository = repository(backend);
        try (Storage storage = repository.open()) {
            storage.createIfAbsent("backups/base_000000010000000000000030/files/base/1/1.zst", new ByteArrayInputStream(new byte[10]));
            storage.createIfAbsent(RepositoryLayout.deletedKey(OLD.get(1)), new ByteArrayInputStream(new byte[0]));
        }
        CliRun dry = repository.cli("delete", "garbage");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("DELETE  " + OLD.get(1), "an earlier delete was interrupted",
                "left alone: base_000000010000000000000030", "a backup may still be running",
                "timeline 3: 00000003000000000000000E .. 00000003000000000000000F, 2 objects");
        CliRun confirmed = repository.cli("delete", "garbage", "--grace", "0s", "--confirm");
        assertThat(confirmed.exitCode()).as(confirmed.err()).isZero();
        Set<String> keys = repository.keys();
        assertThat(keys.stream().filter(k -> k.contains("000000010000000000000030") || k.contains(OLD.get(1)))).isEmpty();
        assertThat(keys).doesNotContain("wal/00000003000000000000000E.lz4").contains("wal/000000030000000000000010.lz4");
        assertThat(backupNames(repository)).hasSize(7);
        assertConsistent(repository, true);
    }
}
