package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Base backups of a real PostgreSQL through the built launcher: full and delta backups while WAL is
 * archived, restored to the latest state and to points in time, compared with the source's data.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class BackupRestoreIT extends EndToEndTest {
    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final Pattern DONE = Pattern.compile("backup (base_\\S+) done");

    private Path repository;

    @BeforeEach
    void setUp() throws Exception {
        repository = work.resolve("repository");
    }

    private LocalCluster archivingSource() throws Exception {
        LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work);
        source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                "archive_command", "WALSTASH_DAEMON=off WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
        source.start();
        return source;
    }

    private Map<String, String> env(LocalCluster source) {
        Map<String, String> env = Launcher.libpqEnvironment(repository, source);
        // pgbench's tables at scale 2 are a few MiB: small parts make them restore part by part
        env.put("WALSTASH_BACKUP_PART_SIZE", "1MiB");
        // the launcher's class-data archives go here, not into the user's own cache
        env.put("XDG_CACHE_HOME", work.resolve("cache").toString());
        return env;
    }

    private Processes.Outcome walstash(Map<String, String> env, String... args) throws Exception {
        return Launcher.run(user, env, args);
    }

    private String backupPush(LocalCluster source, String... options) throws Exception {
        return backupPush(source, Map.of(), options);
    }

    private String backupPush(LocalCluster source, Map<String, String> extraEnv, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("backup-push", source.dataDirectory().toString()));
        List.of(options).stream().filter(o -> !o.equals("--expect-corrupt")).forEach(args::add);
        Map<String, String> env = env(source);
        env.putAll(extraEnv);
        Processes.Outcome outcome = walstash(env, args.toArray(String[]::new));
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        Matcher m = DONE.matcher(outcome.output());
        if (!List.of(options).contains("--expect-corrupt")) {
            assertThat(outcome.output()).as("page checksums of a healthy cluster").doesNotContain("failed their checksum");
        }
        assertThat(m.find()).as(outcome.output()).isTrue();
        return m.group(1);
    }

    /** The objects backup {@code name} stored: its own files' objects and its bundles. */
    private static long storedObjects(Path repository, String name) throws Exception {
        long count = 0;
        for (String folder : List.of("files", "bundles")) {
            Path stored = repository.resolve("backups").resolve(name).resolve(folder);
            if (Files.isDirectory(stored)) {
                try (Stream<Path> objects = Files.walk(stored)) {
                    count += objects.filter(Files::isRegularFile).count();
                }
            }
        }
        return count;
    }

    private static String query(LocalCluster cluster, String sql) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void execute(LocalCluster cluster, String sql) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Restores into {@code target} with the given options, starts it, waits for the end of recovery; the caller closes it. */
    private LocalCluster restoreAndStart(Path target, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("restore", target.toString()));
        args.addAll(List.of(options));
        Processes.Outcome outcome = walstash(Map.of("WALSTASH_STORAGE", "file://" + repository,
                "XDG_CACHE_HOME", work.resolve("cache").toString()), args.toArray(String[]::new));
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        assertThat(target.resolve("recovery.signal")).exists();
        assertThat(Files.readString(target.resolve("postgresql.auto.conf"))).contains("restore_command").contains("wal-fetch");
        LocalCluster restored = LocalCluster.existing(binaries, user, target, work);
        restored.configure(Map.of("archive_mode", "off"));
        restored.start();
        restored.waitForRecoveryEnd(WAIT);
        return restored;
    }

    @Test
    void fullAndDeltaBackupsRestoreToLatestAndToPointsInTime() throws Exception {
        try (LocalCluster source = archivingSource()) {
            source.switchWalAndWaitForArchive(WAIT);
            source.runTool("pgbench", "-i", "-q", "-s", "2", "postgres");
            String full = backupPush(source, "--full");
            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "300", "postgres");
            String delta1 = backupPush(source, "--delta-max-steps", "3");
            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "300", "postgres");
            String delta2 = backupPush(source, "--delta-max-steps", "3", "--permanent");
            assertThat(delta1).startsWith("base_").contains("_D_").endsWith(full.substring("base_".length()));
            assertThat(delta2).contains("_D_").endsWith(delta1.substring("base_".length(), "base_".length() + 24));

            Processes.Outcome list = walstash(env(source), "backup-list", "--json");
            assertThat(list.exitCode()).as(list.output()).isZero();
            JsonNode backups = new ObjectMapper().readTree(list.output().substring(list.output().indexOf('[')));
            assertThat(backups).hasSize(3);
            assertThat(backups.get(0).get("name").asText()).isEqualTo(full);
            assertThat(backups.get(0).get("is_delta").asBoolean()).isFalse();
            assertThat(backups.get(1).get("delta_base").asText()).isEqualTo(full);
            assertThat(backups.get(2).get("delta_base").asText()).isEqualTo(delta1);
            // marking a delta permanent marks its bases
            assertThat(backups.get(0).get("permanent").asBoolean()).isTrue();
            assertThat(backups.get(2).get("permanent").asBoolean()).isTrue();
            Processes.Outcome unmark = walstash(env(source), "backup-mark", delta2, "--impermanent");
            assertThat(unmark.exitCode()).as(unmark.output()).isZero();
            Processes.Outcome listed = walstash(env(source), "backup-list");
            assertThat(listed.output()).containsPattern(full + ".* full permanent")
                    .doesNotContainPattern(delta2 + ".*permanent");
            long fullStored = backups.get(0).get("stored_size").asLong();
            long deltaStored = backups.get(1).get("stored_size").asLong();
            assertThat(deltaStored).as("delta stored bytes vs full %d", fullStored).isLessThan(fullStored / 4);
            // a relation file none of whose pages changed since the full is not stored again: the
            // delta's entry points at the full's object (pgbench leaves template1 and most catalogs alone)
            JsonNode deltaFiles = new ObjectMapper().readTree(
                    repository.resolve("backups").resolve(delta1).resolve("manifest.json").toFile()).get("files");
            long relationFiles = 0;
            long pointingAtFull = 0;
            for (JsonNode file : deltaFiles) {
                if (file.get("path").asText().matches("base/\\d+/\\d+(\\.\\d+)?")) {
                    relationFiles++;
                    if (!file.get("delta").asBoolean()
                            && file.get("objectKey").asText().startsWith("backups/" + full + "/")) {
                        pointingAtFull++;
                    }
                }
            }
            assertThat(pointingAtFull).as("of %d relation files", relationFiles).isGreaterThan(relationFiles / 2);
            assertThat(storedObjects(repository, delta1)).as("objects the delta stored").isLessThan(relationFiles / 2);
            // small files are stored together: a full backup of a thousand files is a few bundles
            // and its large files, and each bundled file names where in its bundle it starts
            JsonNode fullManifest = new ObjectMapper().readTree(
                    repository.resolve("backups").resolve(full).resolve("manifest.json").toFile());
            long bundled = 0;
            for (JsonNode file : fullManifest.get("files")) {
                if (file.get("objectKey").asText().startsWith("backups/" + full + "/bundles/")) {
                    assertThat(file.get("storedOffset").asLong()).isNotNegative();
                    bundled++;
                }
            }
            assertThat(fullManifest.get("formatVersion").asInt()).isEqualTo(5);
            assertThat(bundled).as("files in bundles, of %d", fullManifest.get("files").size())
                    .isGreaterThan(fullManifest.get("files").size() * 9L / 10);
            assertThat(storedObjects(repository, full)).as("objects the full stored")
                    .isLessThan(fullManifest.get("files").size() / 10);

            // WAL-G's WALG_DELTA_ORIGIN=LATEST_FULL: a delta against the full backup, not the latest delta
            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "100", "postgres");
            // the first backup-push left a class-data archive; this one maps it (a third of a
            // backup's CPU was class loading and compiling it without one)
            Path classes = work.resolve("classes.log");
            // without bundles (WALSTASH_BACKUP_BUNDLE_LIMIT=0): the files it stores are objects of
            // their own, its unchanged ones still point at the full's bundles; the restores below
            // go through this delta
            String delta3 = backupPush(source, Map.of("WALG_DELTA_ORIGIN", "LATEST_FULL",
                    "WALSTASH_JAVA_OPTS", "-Xlog:class+load:file=" + classes, "WALSTASH_BACKUP_BUNDLE_LIMIT", "0"),
                    "--delta-max-steps", "3");
            assertThat(delta3).endsWith("_D_" + full.substring("base_".length()));
            assertThat(repository.resolve("backups").resolve(delta3).resolve("bundles")).doesNotExist();
            assertThat(storedObjects(repository, delta3)).isPositive();
            JsonNode delta3Files = new ObjectMapper().readTree(
                    repository.resolve("backups").resolve(delta3).resolve("manifest.json").toFile()).get("files");
            for (JsonNode file : delta3Files) {
                assertThat(file.has("storedOffset")).as(file.toString())
                        .isEqualTo(file.get("objectKey").asText().startsWith("backups/" + full + "/bundles/"));
            }
            assertThat(Files.readAllLines(classes))
                    .anyMatch(l -> l.contains("io.walstash.cli.BackupPushCommand source: shared objects file"));

            // two commits with a time, an xid, a restore point and an LSN between them
            execute(source, "CREATE TABLE marks (id int PRIMARY KEY, note text)");
            String xid;
            try (Connection c = source.connect()) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO marks VALUES (1, 'first')");
                    try (ResultSet rs = s.executeQuery("SELECT txid_current()::text")) {
                        rs.next();
                        xid = rs.getString(1);
                    }
                }
                c.commit();
            }
            String between = query(source, "SELECT clock_timestamp()::text");
            execute(source, "SELECT pg_create_restore_point('after_first')");
            String lsn = query(source, "SELECT pg_current_wal_insert_lsn()::text");
            execute(source, "SELECT pg_sleep(0.05)");
            execute(source, "INSERT INTO marks VALUES (2, 'second')");
            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "200", "postgres");
            source.switchWalAndWaitForArchive(WAIT);
            DataFingerprint expected;
            try (Connection c = source.connect()) {
                expected = DataFingerprint.of(c);
            }
            source.stop();

            Path target = work.resolve("restored");
            // full + delta + delta, then WAL to the end
            try (LocalCluster restored = restoreAndStart(target, delta2)) {
                try (Connection c = restored.connect()) {
                    assertThat(DataFingerprint.of(c)).isEqualTo(expected);
                }
                restored.stop();
            }
            Map<String, List<String>> pitr = Map.of(
                    "time", List.of("--target-time", between),
                    "xid", List.of("--target-xid", xid),
                    "name", List.of("--target-name", "after_first"),
                    "lsn", List.of("--target-lsn", lsn));
            for (var entry : pitr.entrySet()) {
                List<String> options = new ArrayList<>(List.of("--force", "--target-action", "promote"));
                options.addAll(entry.getValue());
                try (LocalCluster restored = restoreAndStart(target, options.toArray(String[]::new))) {
                    assertThat(query(restored, "SELECT string_agg(id::text, ',' ORDER BY id) FROM marks"))
                            .as("rows restored to the %s target", entry.getKey()).isEqualTo("1");
                    restored.stop();
                }
            }

            try (LocalCluster restored = restoreAndStart(target, "--force", "--target-immediate",
                    "--target-action", "promote", "--target-timeline", "current")) {
                assertThat(query(restored, "SELECT count(*) FROM pg_tables WHERE tablename = 'marks'"))
                        .as("--target-immediate stops at the end of the backup, before marks was created").isEqualTo("0");
                restored.stop();
            }
            try (Stream<Path> archives = Files.walk(work.resolve("cache"))) {
                assertThat(archives.map(p -> p.getFileName().toString()))
                        .as("backup-push's class-data archive, which restore maps rather than dumping one of its own")
                        .contains("backup-push-file.jsa").doesNotContain("restore-file.jsa", "restore-file.jsa.first");
            }
            Processes.Outcome refused = walstash(Map.of("WALSTASH_STORAGE", "file://" + repository),
                    "backup-fetch", target.toString(), "LATEST");
            assertThat(refused.exitCode()).as(refused.output()).isEqualTo(ExitCode.IO_ERROR.code());
            assertThat(refused.output()).contains(target.toString()).contains("--force");
            assertThat(target.resolve("global/pg_control")).exists();

            // a flipped byte in a stored object: backup-fetch fails naming it and leaves nothing usable
            Path victim;
            try (Stream<Path> files = Files.walk(repository.resolve("backups").resolve(full))) {
                victim = files.filter(Files::isRegularFile).filter(p -> p.toString().contains("/base/"))
                        .max(java.util.Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(victim);
            bytes[bytes.length / 2] ^= 0x40;
            Files.setPosixFilePermissions(victim, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.write(victim, bytes);
            Path corrupt = work.resolve("corrupt");
            Processes.Outcome fetch = walstash(Map.of("WALSTASH_STORAGE", "file://" + repository),
                    "backup-fetch", corrupt.toString(), full);
            assertThat(fetch.exitCode()).as(fetch.output()).isEqualTo(ExitCode.CORRUPT.code());
            String key = repository.resolve("backups").relativize(victim).toString();
            assertThat(fetch.output()).contains(key);
            try (Stream<Path> left = Files.list(corrupt)) {
                assertThat(left).isEmpty();
            }
        }
    }

    @Test
    void backupUnderLoadWithATablespaceOutsidePgdata() throws Exception {
        Path tablespace = work.resolve("tablespace");
        Files.createDirectories(tablespace);
        user.own(tablespace);
        try (LocalCluster source = archivingSource()) {
            execute(source, "CREATE TABLESPACE outside LOCATION '" + tablespace + "'");
            execute(source, "CREATE TABLE far (id int, payload text) TABLESPACE outside");
            execute(source, "INSERT INTO far SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
            String oid = query(source, "SELECT oid::text FROM pg_tablespace WHERE spcname = 'outside'");
            // a page that fails its checksum, in a schema the data comparison leaves out
            execute(source, "CREATE SCHEMA side");
            execute(source, "CREATE TABLE side.victim AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 500) g");
            execute(source, "CHECKPOINT");
            Path victim = source.dataDirectory().resolve(query(source, "SELECT pg_relation_filepath('side.victim')"));
            source.stop();
            byte[] heap = Files.readAllBytes(victim);
            heap[8192 + 5000] ^= 0x01; // block 1
            Files.write(victim, heap);
            source.start();
            source.runTool("pgbench", "-i", "-q", "-s", "2", "postgres");
            List<String> command = new ArrayList<>(List.of(binaries.tool("pgbench").toString(), "-h", "127.0.0.1",
                    "-p", Integer.toString(source.port()), "-U", "postgres", "-c", "2", "-j", "2", "-T", "8", "postgres"));
            Process load = new ProcessBuilder(user.wrap(command)).redirectErrorStream(true)
                    .redirectOutput(work.resolve("pgbench.log").toFile()).start();
            try {
                Processes.Outcome strict = walstash(env(source), "backup-push", source.dataDirectory().toString(),
                        "--full", "--fail-on-corrupt-pages");
                assertThat(strict.exitCode()).as(strict.output()).isEqualTo(ExitCode.CORRUPT.code());
                assertThat(strict.output()).containsPattern("base/\\d+/\\d+:1");
                source.switchWalAndWaitForArchive(WAIT); // the next backup starts in another segment
                backupPush(source, "--full", "--expect-corrupt");
            } finally {
                assertThat(load.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            }
            assertThat(load.exitValue()).as(Files.readString(work.resolve("pgbench.log"))).isZero();
            source.switchWalAndWaitForArchive(WAIT);
            DataFingerprint expected;
            try (Connection c = source.connect()) {
                expected = DataFingerprint.of(c);
            }
            source.stop();
            assertThat(expected.tables()).containsKey("far");
            Processes.Outcome listed = walstash(env(source), "backup-list", "--json", "--detail");
            assertThat(listed.output()).containsPattern("\"corrupt_pages\" : \\[ \"base/\\d+/\\d+:1\" \\]");

            Path moved = work.resolve("tablespace-restored");
            try (LocalCluster restored = restoreAndStart(work.resolve("restored"), "LATEST",
                    "--tablespace-map", oid + "=" + moved)) {
                try (Connection c = restored.connect()) {
                    assertThat(DataFingerprint.of(c)).isEqualTo(expected);
                }
                assertThat(Files.readSymbolicLink(work.resolve("restored/pg_tblspc/" + oid))).isEqualTo(moved);
                restored.stop();
            }
        }
    }
}
