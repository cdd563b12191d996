package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.Processes;
import io.walstash.core.spool.SpoolBacklog;
import io.walstash.storage.s3.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real PostgreSQL archiving through the packaged launcher: with the defaults (auto daemon,
 * look-ahead) under bulk inserts each segment is uploaded exactly once, and a spool carries
 * archiving through an outage of s3proxy, after which a restore from storage alone gives the
 * source's data.
 */
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class WalPushLookAheadSpoolIT extends EndToEndTest {
    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final Pattern ARCHIVED = Pattern.compile("walstash: archived (wal/\\S+) \\(");
    private static final Pattern ALREADY = Pattern.compile("walstash: (wal/\\S+) is already archived with identical content");
    private static final Pattern DONE = Pattern.compile("backup (base_\\S+) done");

    /** Where the auto daemons of a test run, so that they are stopped after it. */
    private AutoDaemonRuntime daemons;

    @AfterEach
    void tearDown() throws Exception {
        if (daemons != null) {
            daemons.stopDaemons();
        }
        if (!S3.isRunning()) {
            S3.restart();
        }
    }

    /**
     * The archive_command exactly as README writes it (no daemon set up, no concurrency set: the
     * auto daemon and look-ahead are the defaults), under the heaviest load this test makes: two
     * clients bulk-inserting at once into 1 MiB segments, so .ready piles up while calls run.
     */
    @Test
    void withTheDefaultsUnderBulkInsertsEverySegmentArrivesExactlyOnce() throws Exception {
        Path repository = work.resolve("repository");
        AutoDaemonRuntime runtime = AutoDaemonRuntime.create(work.resolve("runtime"), user);
        daemons = runtime;
        String environment = runtime.environment() + " WALSTASH_STORAGE=file://" + repository;
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work, List.of("--wal-segsize=1"))) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", environment + " " + Launcher.path() + " wal-push %p"));
            source.start();
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE big (id int, payload text)");
            }
            bulkInserts(source, 2, 12);
            source.switchWalAndWaitForArchive(WAIT);
            long archived = archiverStats(source, 0);
            source.stop(); // the archiver finishes what is ready before the server stops
            String log = source.readLog();

            List<String> stored = fileNames(repository.resolve("wal"));
            assertThat(stored).hasSizeGreaterThanOrEqualTo(60).allMatch(n -> n.endsWith(".zst"));
            // PostgreSQL called wal-push once per segment; each call either uploaded it or found that
            // look-ahead had: the segments stored are exactly those answered, each once
            List<String> uploaded = keys(ARCHIVED, log);
            List<String> foundDone = keys(ALREADY, log);
            List<String> answered = Stream.concat(uploaded.stream(), foundDone.stream()).toList();
            assertThat(answered).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo((int) archived);
            Path markers = source.dataDirectory().resolve("pg_wal/walstash/pushed");
            for (String name : stored) {
                // stored but not (yet) asked for: uploaded ahead, with its marker waiting for PostgreSQL's call
                assertThat(answered.contains("wal/" + name) || Files.exists(markers.resolve(name.replace(".zst", ""))))
                        .as(name + " was answered to PostgreSQL or is marked as pushed ahead").isTrue();
            }
            assertThat(stored.stream().map(n -> "wal/" + n).toList()).containsAll(answered);
            assertThat(foundDone).as("calls answered by look-ahead").isNotEmpty();
            assertThat(runtime.daemons()).as("the auto daemon that served the calls").isNotEmpty();
            assertThat(log).doesNotContain("walstash: error").doesNotContain("look-ahead upload of")
                    .doesNotContain("daemon not used");
        }
    }

    /** {@code clients} connections at once, each running {@code transactions} bulk inserts of 20,000 rows. */
    private static void bulkInserts(LocalCluster cluster, int clients, int transactions) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> running = new java.util.ArrayList<>();
            for (int i = 0; i < clients; i++) {
                running.add(pool.submit(() -> {
                    try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
                        for (int t = 0; t < transactions; t++) {
                            s.execute("INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void spoolCarriesArchivingThroughAStorageOutageAndDrainsAfterIt() throws Exception {
        String bucket = S3.newBucket();
        Path spool = Files.createDirectory(work.resolve("spool"));
        user.own(spool);
        Map<String, String> s3 = new LinkedHashMap<>(S3.settings("s3://" + bucket + "/pg"));
        // keep each failed attempt short: the adapter's own retries multiply with walstash's
        s3.put("WALSTASH_S3_MAX_RETRIES", "0");
        s3.put("WALSTASH_RETRIES", "1");
        s3.put("WALSTASH_RETRY_BASE", "100ms");
        s3.put("WALSTASH_REQUEST_TIMEOUT", "30s");
        String storageEnv = s3.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
        String launcher = Launcher.path().toString();

        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", "WALSTASH_DAEMON=off " + storageEnv + " WALSTASH_SPOOL=" + spool + " " + launcher + " wal-push %p"));
            source.start();
            source.runTool("pgbench", "-i", "-q", "-s", "2", "postgres");
            Map<String, String> backupEnv = new LinkedHashMap<>(s3);
            backupEnv.putAll(Map.of("PGHOST", "127.0.0.1", "PGPORT", Integer.toString(source.port()),
                    "PGUSER", "postgres", "PGDATABASE", "postgres"));
            Processes.Outcome backup = Launcher.run(user, backupEnv, "backup-push", source.dataDirectory().toString());
            assertThat(backup.exitCode()).as(backup.output()).isZero();
            Matcher done = DONE.matcher(backup.output());
            assertThat(done.find()).as(backup.output()).isTrue();

            S3.stop();
            source.runTool("pgbench", "-c", "4", "-j", "2", "-t", "1000", "postgres");
            source.switchWalAndWaitForArchive(WAIT);
            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "500", "postgres");
            source.switchWalAndWaitForArchive(WAIT); // fails the test if any archive_command failed
            SpoolBacklog during = SpoolBacklog.read(spool);
            assertThat(during.count()).as("segments spooled during the outage").isGreaterThanOrEqualTo(2);
            assertThat(source.readLog()).contains("walstash: warning: storage unavailable");

            S3.restart();
            try (Connection c = source.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE after_outage AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g");
            }
            source.switchWalAndWaitForArchive(WAIT); // this push drains the spool first
            DataFingerprint expected;
            try (Connection c = source.connect()) {
                expected = DataFingerprint.of(c);
            }
            archiverStats(source, 0);
            source.stop();
            assertThat(SpoolBacklog.read(spool).count()).as("spool after the outage").isZero();
            List<String> stored = S3.client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix("pg/wal/")).contents()
                    .stream().map(o -> o.key().substring("pg/wal/".length())).toList();
            for (SpoolBacklog.Entry entry : during.files()) {
                assertThat(stored).anySatisfy(k -> assertThat(k).startsWith(entry.name() + "."));
            }

            Path target = work.resolve("restored");
            String restoreCommand = "WALSTASH_DAEMON=off " + storageEnv + " " + launcher + " wal-fetch %f %p";
            Processes.Outcome restore = Launcher.run(user, s3, "restore", target.toString(), "LATEST",
                    "--restore-command", restoreCommand);
            assertThat(restore.exitCode()).as(restore.output()).isZero();
            try (LocalCluster restored = LocalCluster.existing(binaries, user, target, work)) {
                restored.configure(Map.of("archive_mode", "off"));
                restored.start();
                restored.waitForRecoveryEnd(WAIT);
                try (Connection c = restored.connect()) {
                    assertThat(DataFingerprint.of(c)).isEqualTo(expected);
                }
                assertThat(expected.tables()).containsKey("after_outage");
            }
        }
    }

    /** Asserts {@code pg_stat_archiver.failed_count}; returns {@code archived_count}. */
    private static long archiverStats(LocalCluster cluster, long failed) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT failed_count, archived_count FROM pg_stat_archiver")) {
            rs.next();
            assertThat(rs.getLong(1)).as("pg_stat_archiver.failed_count").isEqualTo(failed);
            return rs.getLong(2);
        }
    }

    private static List<String> keys(Pattern line, String log) {
        Matcher m = line.matcher(log);
        List<String> keys = new java.util.ArrayList<>();
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    private static List<String> fileNames(Path directory) throws java.io.IOException {
        try (Stream<Path> stored = Files.list(directory)) {
            return stored.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
        }
    }
}
