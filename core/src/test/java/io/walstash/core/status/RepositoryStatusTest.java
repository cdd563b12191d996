package io.walstash.core.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.testing.PrometheusText;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Status gathered from an in-memory repository whose objects have known times, judged and written in every format. */
class RepositoryStatusTest {
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** InMemoryStorage with the object times the test sets, so ages are exact. */
    private static final class TimedStorage extends ForwardingStorage {
        final InMemoryStorage objects;
        final Map<String, Instant> times = new HashMap<>();

        TimedStorage(URI location) {
            this(new InMemoryStorage(location));
        }

        private TimedStorage(InMemoryStorage objects) {
            super(objects);
            this.objects = objects;
        }

        void put(String key, int size, Instant modified) throws IOException {
            put(key, new byte[size], modified);
        }

        void put(String key, byte[] bytes, Instant modified) throws IOException {
            objects.createIfAbsent(key, new ByteArrayInputStream(bytes));
            times.put(key, modified);
        }

        java.util.Set<String> keys() {
            return objects.keys();
        }

        byte[] bytes(String key) throws IOException {
            return objects.bytes(key);
        }

        @Override
        public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
            return objects.list(keyPrefix).map(o -> new ObjectInfo(o.key(), o.size(), times.getOrDefault(o.key(), o.lastModified())));
        }
    }

    private static BackupManifest manifest(String name, String base, String startLsn, Instant stop) {
        return new BackupManifest(BackupManifest.FORMAT_VERSION, name, startLsn, "0/9000000", 1,
                "000000010000000000000002", "000000010000000000000003", "7301234567890123456", 150004,
                stop.minusSeconds(60).toString(), stop.toString(), base, "zstd", 8192, true, 1000, 100, false,
                "label", null, Map.of(), List.of(), List.of(), "walstash test");
    }

    private TimedStorage repository() throws IOException {
        // a query would be where an Azure SAS token sits: it must not be shown
        TimedStorage storage = new TimedStorage(URI.create("s3://bucket/pg-primary?sig=SECRET"));
        storage.put("walstash-repository.properties", 50, NOW.minus(Duration.ofDays(9)));
        storage.put("wal/000000010000000000000007.zst", 100, NOW.minus(Duration.ofMinutes(50)));
        storage.put("wal/000000010000000000000009.zst", 100, NOW.minus(Duration.ofMinutes(40)));
        // timeline 2 wins over a higher segment on timeline 1
        storage.put("wal/000000020000000000000008.zst", 100, NOW.minus(Duration.ofMinutes(20)));
        storage.put("wal/000000010000000000000008.partial.zst", 7, NOW.minus(Duration.ofMinutes(21)));
        storage.put("wal/00000002.history.zst", 3, NOW.minus(Duration.ofMinutes(21)));
        storage.put("wal/000000010000000000000002.00000028.backup.zst", 5, NOW.minus(Duration.ofHours(3)));
        storage.put("wal/not-a-wal-file.tmp", 999, NOW);
        // a WAL-G segment lower than ours counts but does not win
        storage.put("wal_005/000000010000000000000005.lz4", 40, NOW.minus(Duration.ofDays(2)));

        Instant fullStop = NOW.minus(Duration.ofHours(30));
        Instant deltaStop = NOW.minus(Duration.ofHours(5));
        storage.put("backups/base_000000010000000000000002/files/base/1/1234.zst", 1000, fullStop);
        storage.put(RepositoryLayout.manifestKey("base_000000010000000000000002"),
                manifest("base_000000010000000000000002", null, "0/2000028", fullStop).toJson(), fullStop);
        storage.put(RepositoryLayout.permanentKey("base_000000010000000000000002"), 0, fullStop);
        String delta = "base_000000010000000000000006_D_000000010000000000000002";
        storage.put("backups/" + delta + "/files/base/1/1234.delta.zst", 200, deltaStop);
        storage.put(RepositoryLayout.manifestKey(delta), manifest(delta, "base_000000010000000000000002", "0/6000028", deltaStop)
                .toJson(), deltaStop);
        storage.put("backups/base_00000002000000000000000A/files/PG_VERSION.zst", 10, NOW);
        return storage;
    }

    @Test
    void gathersNewestSegmentCountsAndBackups() throws IOException {
        TimedStorage storage = repository();
        RepositoryStatus status = RepositoryStatus.gather(storage, Optional.empty(), Optional.empty(), CLOCK);

        assertThat(status.storage()).isEqualTo("s3://bucket/pg-primary").doesNotContain("SECRET");
        assertThat(status.observedAt()).isEqualTo(NOW);
        RepositoryStatus.Archived last = status.wal().lastArchived().orElseThrow();
        assertThat(last.name()).isEqualTo("000000020000000000000008");
        assertThat(last.key()).isEqualTo("wal/000000020000000000000008.zst");
        assertThat(last.age()).isEqualTo(Duration.ofMinutes(20));
        assertThat(status.wal().segments()).isEqualTo(4);
        assertThat(status.wal().objects()).isEqualTo(7);
        assertThat(status.wal().storedBytes()).isEqualTo(100 * 3 + 7 + 3 + 5 + 40);

        RepositoryStatus.Backups backups = status.backups();
        assertThat(backups.count()).isEqualTo(2);
        assertThat(backups.unfinished()).isEqualTo(1);
        RepositoryStatus.Newest newest = backups.newest().orElseThrow();
        assertThat(newest.name()).isEqualTo("base_000000010000000000000006_D_000000010000000000000002");
        assertThat(newest.age()).isEqualTo(Duration.ofHours(5));
        assertThat(backups.list()).extracting(RepositoryStatus.BackupSize::name)
                .containsExactly("base_000000010000000000000002", "base_000000010000000000000006_D_000000010000000000000002");
        long fullManifest = storage.bytes(RepositoryLayout.manifestKey("base_000000010000000000000002")).length;
        assertThat(backups.list().get(0).storedBytes()).isEqualTo(1000 + fullManifest);
        assertThat(backups.list().get(0).permanent()).isTrue();
        assertThat(backups.list().get(1).delta()).isTrue();
        long all = storage.keys().stream().filter(k -> k.startsWith("backups/")).mapToLong(k -> size(storage, k)).sum();
        assertThat(backups.storedBytes()).isEqualTo(all);
    }

    private static long size(Storage storage, String key) {
        try {
            return storage.stat(key).orElseThrow().size();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void thresholdsNameWhatCrossedThem() throws IOException {
        RepositoryStatus status = RepositoryStatus.gather(repository(), Optional.empty(), Optional.empty(), CLOCK);

        assertThat(HealthThresholds.none().evaluate(status)).isEmpty();
        assertThat(new HealthThresholds(Optional.of(Duration.ofHours(6)), Optional.of(Duration.ofMinutes(30)))
                .evaluate(status)).isEmpty();

        List<HealthThresholds.Breach> crossed = new HealthThresholds(Optional.of(Duration.ofHours(4)),
                Optional.of(Duration.ofMinutes(15))).evaluate(status);
        assertThat(crossed).extracting(HealthThresholds.Breach::threshold).containsExactly("max-backup-age", "max-archive-lag");
        assertThat(crossed.get(0).message()).isEqualTo("max-backup-age 4h crossed: the newest backup "
                + "base_000000010000000000000006_D_000000010000000000000002 stopped 5h ago");
        assertThat(crossed.get(1).message()).isEqualTo("max-archive-lag 15m crossed: the last archived segment "
                + "000000020000000000000008 was stored 20m ago");
    }

    @Test
    void anEmptyRepositoryIsUnhealthyOnlyWhenThresholdsAreGiven() throws IOException {
        RepositoryStatus empty = RepositoryStatus.gather(new InMemoryStorage(), Optional.empty(), Optional.empty(), CLOCK);
        assertThat(empty.wal().lastArchived()).isEmpty();
        assertThat(empty.backups().newest()).isEmpty();
        assertThat(HealthThresholds.none().evaluate(empty)).isEmpty();
        assertThat(new HealthThresholds(Optional.of(Duration.ofDays(7)), Optional.of(Duration.ofDays(7))).evaluate(empty))
                .extracting(HealthThresholds.Breach::message)
                .containsExactly("max-backup-age 7d crossed: there is no backup in memory://test",
                        "max-archive-lag 7d crossed: no WAL segment is archived in memory://test");
    }

    @Test
    void failingArchiverAndOldSpoolCrossTheLag() throws IOException {
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Files.write(spool.resolve("000000020000000000000009"), new byte[4096]);
        Files.write(spool.resolve("00000002000000000000000A"), new byte[1024]);
        Files.write(spool.resolve(".00000002000000000000000B.tmp"), new byte[77]);
        Files.setLastModifiedTime(spool.resolve("000000020000000000000009"), FileTime.from(NOW.minus(Duration.ofMinutes(45))));
        Files.setLastModifiedTime(spool.resolve("00000002000000000000000A"), FileTime.from(NOW.minus(Duration.ofMinutes(5))));
        PgArchiver failing = new PgArchiver.Stats(40, Optional.of("000000020000000000000008"),
                Optional.of(NOW.minus(Duration.ofMinutes(20))), 3, Optional.of("000000020000000000000009"),
                Optional.of(NOW.minus(Duration.ofMinutes(1))));
        RepositoryStatus status = RepositoryStatus.gather(repository(), Optional.of(SpoolBacklog.read(spool)),
                Optional.of(failing), CLOCK);

        RepositoryStatus.Spool spooled = status.spool().orElseThrow();
        assertThat(spooled.files()).isEqualTo(2);
        assertThat(spooled.bytes()).isEqualTo(5120);
        assertThat(spooled.oldestAge()).contains(Duration.ofMinutes(45));

        List<HealthThresholds.Breach> crossed = new HealthThresholds(Optional.empty(), Optional.of(Duration.ofMinutes(30)))
                .evaluate(status);
        assertThat(crossed).hasSize(2).allMatch(b -> b.threshold().equals("max-archive-lag"));
        assertThat(crossed.get(0).message()).startsWith("max-archive-lag 30m crossed: PostgreSQL's archiver is failing: "
                + "000000020000000000000009 failed at");
        assertThat(crossed.get(1).message()).isEqualTo("max-archive-lag 30m crossed: a spooled WAL file in " + spool
                + " has waited 45m (2 files waiting)");

        // an archiver that succeeded after its last failure is not failing
        PgArchiver recovered = new PgArchiver.Stats(41, Optional.of("000000020000000000000009"), Optional.of(NOW),
                3, Optional.of("000000020000000000000009"), Optional.of(NOW.minusSeconds(5)));
        assertThat(((PgArchiver.Stats) recovered).failingSinceLastSuccess()).isFalse();
        assertThat(((PgArchiver.Stats) failing).failingSinceLastSuccess()).isTrue();
    }

    @Test
    void jsonHasStableNamesAndValues() throws IOException {
        PgArchiver stats = new PgArchiver.Stats(40, Optional.of("000000020000000000000008"), Optional.of(NOW.minusSeconds(90)),
                0, Optional.empty(), Optional.empty());
        StatusReport report = StatusReport.of(RepositoryStatus.gather(repository(), Optional.empty(), Optional.of(stats), CLOCK),
                new HealthThresholds(Optional.of(Duration.ofHours(4)), Optional.empty()));
        JsonNode json = new ObjectMapper().readTree(report.json());
        assertThat(json.get("storage").asText()).isEqualTo("s3://bucket/pg-primary");
        assertThat(json.get("healthy").asBoolean()).isFalse();
        assertThat(json.get("thresholds").get("max_backup_age_seconds").asLong()).isEqualTo(4 * 3600);
        assertThat(json.get("thresholds").get("max_archive_lag_seconds").isNull()).isTrue();
        assertThat(json.get("breaches").get(0).get("threshold").asText()).isEqualTo("max-backup-age");
        assertThat(json.get("wal").get("last_archived").get("name").asText()).isEqualTo("000000020000000000000008");
        assertThat(json.get("wal").get("last_archived").get("age_seconds").asLong()).isEqualTo(1200);
        assertThat(json.get("wal").get("segments").asLong()).isEqualTo(4);
        assertThat(json.get("backups").get("count").asInt()).isEqualTo(2);
        assertThat(json.get("backups").get("newest").get("age_seconds").asLong()).isEqualTo(5 * 3600);
        assertThat(json.get("backups").get("list")).hasSize(2);
        assertThat(json.get("spool").isNull()).isTrue();
        assertThat(json.get("pg_stat_archiver").get("archived_count").asLong()).isEqualTo(40);
        assertThat(json.get("pg_stat_archiver").get("last_archived_time").asText()).isEqualTo(NOW.minusSeconds(90).toString());
        assertThat(json.get("pg_stat_archiver").get("last_failed_wal").isNull()).isTrue();
    }

    @Test
    void theReceiversLagIsInEveryFormat() throws IOException {
        RepositoryStatus status = RepositoryStatus.gather(repository(), Optional.empty(), Optional.empty(), CLOCK);
        StatusReport streaming = StatusReport.of(status, HealthThresholds.none(),
                Optional.of(new ReceiverLag("walstash", true, 1234, java.util.OptionalDouble.of(0.4125))));
        assertThat(streaming.text().lines()).contains("wal receiver       slot walstash: streaming, 1234 bytes behind, flush lag 0.413 s");
        JsonNode json = new ObjectMapper().readTree(streaming.json()).get("wal_receiver");
        assertThat(json.get("slot").asText()).isEqualTo("walstash");
        assertThat(json.get("streaming").asBoolean()).isTrue();
        assertThat(json.get("lag_bytes").asLong()).isEqualTo(1234);
        assertThat(json.get("flush_lag_seconds").asDouble()).isEqualTo(0.4125);
        var metrics = PrometheusText.parse(streaming.prometheus());
        assertThat(metrics.get("walstash_receiver_streaming").get(0).labels()).containsEntry("slot", "walstash");
        assertThat(metrics.get("walstash_receiver_streaming").get(0).value()).isEqualTo(1.0);
        assertThat(metrics.get("walstash_receiver_lag_bytes").get(0).value()).isEqualTo(1234.0);
        assertThat(metrics.get("walstash_receiver_flush_lag_seconds").get(0).value()).isEqualTo(0.413);

        // a slot nobody streams from: no flush lag to report, and none made up
        StatusReport stopped = StatusReport.of(status, HealthThresholds.none(),
                Optional.of(new ReceiverLag("walstash", false, 99, java.util.OptionalDouble.empty())));
        assertThat(stopped.text()).contains("slot walstash: NOT streaming, 99 bytes behind\n");
        assertThat(new ObjectMapper().readTree(stopped.json()).get("wal_receiver").get("flush_lag_seconds").isNull()).isTrue();
        assertThat(PrometheusText.parse(stopped.prometheus())).doesNotContainKey("walstash_receiver_flush_lag_seconds")
                .containsKey("walstash_receiver_lag_bytes");
        // no connection configured, or no such slot
        assertThat(new ObjectMapper().readTree(StatusReport.of(status, HealthThresholds.none()).json()).get("wal_receiver").isNull())
                .isTrue();
    }

    @Test
    void textHasOneAlignedLinePerFact() throws IOException {
        StatusReport report = StatusReport.of(RepositoryStatus.gather(repository(), Optional.empty(), Optional.empty(), CLOCK),
                HealthThresholds.none());
        List<String> lines = report.text().lines().toList();
        assertThat(lines).contains("storage            s3://bucket/pg-primary",
                "last archived      000000020000000000000008, stored 20m ago (2026-12-01T11:40:00Z)",
                "health             healthy");
        assertThat(lines).allMatch(l -> l.length() > 19 && l.charAt(18) == ' ' && l.charAt(19) != ' ');
    }

    @Test
    void labelValuesAndHelpAreEscaped() {
        String odd = "a\\b\"c\nd";
        assertThat(StatusReport.escapeLabel(odd)).isEqualTo("a\\\\b\\\"c\\nd");
        assertThat(StatusReport.escapeHelp(odd)).isEqualTo("a\\\\b\"c\\nd");
        var parsed = PrometheusText.parse("# HELP m x\n# TYPE m gauge\nm{storage=\"" + StatusReport.escapeLabel(odd) + "\"} 1\n");
        assertThat(parsed.get("m").get(0).labels()).containsEntry("storage", odd);
    }

    @Test
    void prometheusExpositionParsesAndEscapesLabels() throws IOException {
        TimedStorage storage = repository();
        TimedStorage odd = new TimedStorage(URI.create("file:///srv/wal%22stash/back%5Cslash"));
        for (String key : storage.keys()) {
            odd.put(key, storage.bytes(key), storage.times.get(key));
        }
        StatusReport report = StatusReport.of(RepositoryStatus.gather(odd, Optional.empty(), Optional.empty(), CLOCK),
                new HealthThresholds(Optional.of(Duration.ofHours(4)), Optional.of(Duration.ofHours(1))));
        String text = report.prometheus();
        assertThat(text).contains("storage=\"file:///srv/wal%22stash/back%5Cslash\"");
        var samples = PrometheusText.parse(text);
        assertThat(samples.get("walstash_healthy").get(0).value()).isEqualTo(0.0);
        assertThat(samples.get("walstash_healthy").get(0).labels()).containsEntry("storage", "file:///srv/wal%22stash/back%5Cslash");
        assertThat(samples.get("walstash_last_archived_age_seconds").get(0).value()).isEqualTo(1200.0);
        assertThat(samples.get("walstash_backups").get(0).value()).isEqualTo(2.0);
        assertThat(samples.get("walstash_newest_backup_age_seconds").get(0).value()).isEqualTo(5 * 3600.0);
        assertThat(samples.get("walstash_wal_segments").get(0).value()).isEqualTo(4.0);
        assertThat(samples.get("walstash_backup_stored_bytes")).hasSize(2);
        assertThat(samples.get("walstash_threshold_crossed")).extracting(e -> e.labels().get("threshold") + "=" + e.value())
                .containsExactly("max-backup-age=1.0", "max-archive-lag=0.0");
        assertThat(samples).doesNotContainKeys("walstash_spool_segments", "walstash_pg_archiver_failed_total");
    }
}
