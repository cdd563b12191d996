package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * wal-verify and backup-verify through the built launcher on the repository of a real PostgreSQL:
 * healthy, with a WAL object removed, with a flipped byte in a WAL and in a backup object, a
 * restore test, and after a point-in-time restore that continues on timeline 2.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class VerifyIT extends EndToEndTest {
    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path repository;

    @BeforeEach
    void setUp() throws Exception {
        repository = work.resolve("repository");
    }

    private String archiveCommand() throws Exception {
        return "WALSTASH_DAEMON=off WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p";
    }

    private Processes.Outcome walstash(String... args) throws Exception {
        return Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository), args);
    }

    private static JsonNode json(Processes.Outcome outcome) throws Exception {
        String out = outcome.output();
        return JSON.readTree(out.substring(out.indexOf('{')));
    }

    private static void execute(LocalCluster cluster, String sql) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Replaces a stored object's bytes as a disk fault would; returns the original bytes. */
    private static byte[] flipByte(Path object) throws Exception {
        byte[] original = Files.readAllBytes(object);
        byte[] bytes = original.clone();
        bytes[bytes.length / 2] ^= 0x40;
        Files.setPosixFilePermissions(object, PosixFilePermissions.fromString("rw-r--r--"));
        Files.write(object, bytes);
        return original;
    }

    @Test
    void verifiesAHealthyRepositoryAndFindsMissingAndCorruptObjectsAndFollowsANewTimeline() throws Exception {
        String backup;
        String middle;
        String last;
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command", archiveCommand()));
            source.start();
            source.switchWalAndWaitForArchive(WAIT);
            execute(source, "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g");
            Processes.Outcome push = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository,
                    "PGHOST", "127.0.0.1", "PGPORT", Integer.toString(source.port()), "PGUSER", "postgres"),
                    "backup-push", source.dataDirectory().toString(), "--full");
            assertThat(push.exitCode()).as(push.output()).isZero();
            Matcher done = Pattern.compile("backup (base_\\S+) done").matcher(push.output());
            assertThat(done.find()).as(push.output()).isTrue();
            backup = done.group(1);
            execute(source, "INSERT INTO t SELECT g, 'after' FROM generate_series(1, 100) g");
            middle = source.switchWalAndWaitForArchive(WAIT);
            execute(source, "SELECT pg_create_restore_point('verify_point')");
            execute(source, "INSERT INTO t SELECT g, 'later' FROM generate_series(1, 100) g");
            last = source.switchWalAndWaitForArchive(WAIT);
            source.stop();
        }

        // healthy
        Processes.Outcome healthy = walstash("wal-verify");
        assertThat(healthy.exitCode()).as(healthy.output()).isZero();
        assertThat(healthy.output()).contains("OK: ").contains(", 0 missing, 0 corrupt").doesNotContain("missing  ");
        JsonNode report = json(walstash("wal-verify", "--json"));
        assertThat(report.get("verdict").asText()).isEqualTo("OK");
        assertThat(report.get("gaps")).isEmpty();
        // the server may archive more at shutdown; the end is at least the last segment we switched out
        assertThat(report.get("last").asText()).isGreaterThanOrEqualTo(last);
        assertThat(report.get("backups").get(0).get("name").asText()).isEqualTo(backup);
        assertThat(report.get("backups").get(0).get("restorable_to_end").asBoolean()).isTrue();
        Processes.Outcome deep = walstash("wal-verify", "--deep", "--json");
        assertThat(deep.exitCode()).as(deep.output()).isZero();
        assertThat(json(deep).get("objects_read").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(json(deep).get("corrupt")).isEmpty();

        Processes.Outcome restoreTest = walstash("backup-verify", "LATEST", "--restore-test");
        assertThat(restoreTest.exitCode()).as(restoreTest.output()).isZero();
        assertThat(restoreTest.output()).containsPattern("restore   " + backup + ": passed in .* tables")
                .contains("OK     " + backup);
        try (Stream<Path> left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("walstash-restore-test-"));
        }
        JsonNode backups = json(walstash("backup-verify", "--all", "--json"));
        assertThat(backups.get("backups").get(0).get("objects_checked").asLong()).isGreaterThan(100);
        assertThat(backups.get("backups").get(0).get("corrupt")).isEmpty();

        // a flipped byte in a WAL object: only --deep reads it, and names it
        Path walObject = repository.resolve("wal/" + middle + ".zst");
        byte[] original = flipByte(walObject);
        Processes.Outcome shallow = walstash("wal-verify");
        assertThat(shallow.exitCode()).as(shallow.output()).isZero();
        Processes.Outcome corrupt = walstash("wal-verify", "--deep");
        assertThat(corrupt.exitCode()).as(corrupt.output()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(corrupt.output()).contains("corrupt   wal/" + middle + ".zst: ");
        Files.write(walObject, original);

        // a removed WAL object: late while newer segments are fresh, missing with no late window
        Files.delete(walObject);
        Processes.Outcome late = walstash("wal-verify");
        assertThat(late.exitCode()).as(late.output()).isZero();
        assertThat(late.output()).contains("late      " + middle).contains("LATE_ONLY");
        Processes.Outcome missing = walstash("wal-verify", "--late-window", "0s");
        assertThat(missing.exitCode()).as(missing.output()).isEqualTo(ExitCode.WAL_CHAIN_BROKEN.code());
        assertThat(missing.output()).contains("missing   " + middle).contains("BROKEN");
        JsonNode broken = json(walstash("wal-verify", "--late-window", "0s", "--json"));
        assertThat(broken.get("verdict").asText()).isEqualTo("BROKEN");
        assertThat(broken.get("gaps").get(0).get("first").asText()).isEqualTo(middle);
        assertThat(broken.get("gaps").get(0).get("late").asBoolean()).isFalse();
        Files.write(walObject, original);
        Files.setPosixFilePermissions(walObject, PosixFilePermissions.fromString("rw-r--r--"));

        // a flipped byte in a backup object: named, and no restore is attempted
        Path victim;
        try (Stream<Path> files = Files.walk(repository.resolve("backups").resolve(backup))) {
            victim = files.filter(Files::isRegularFile).filter(p -> p.toString().contains("/base/"))
                    .max(Comparator.comparingLong(p -> p.toFile().length())).orElseThrow();
        }
        byte[] backupObject = flipByte(victim);
        Processes.Outcome badBackup = walstash("backup-verify", backup, "--restore-test");
        assertThat(badBackup.exitCode()).as(badBackup.output()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(badBackup.output()).contains(repository.relativize(victim).toString()).contains("not restored");
        Files.write(victim, backupObject);
        // a flipped byte in a bundle (small files stored together): named, the member it falls in told
        Path bundle = repository.resolve("backups").resolve(backup).resolve("bundles").resolve("0.zst");
        byte[] bundleObject = flipByte(bundle);
        Processes.Outcome badBundle = walstash("backup-verify", backup);
        assertThat(badBundle.exitCode()).as(badBundle.output()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(badBundle.output()).contains("backups/" + backup + "/bundles/0.zst (").contains(", at ");
        Files.write(bundle, bundleObject);

        // point-in-time restore that promotes and archives on timeline 2 into the same repository
        Path target = work.resolve("restored");
        Processes.Outcome restore = walstash("restore", target.toString(), backup, "--target-name", "verify_point",
                "--target-action", "promote");
        assertThat(restore.exitCode()).as(restore.output()).isZero();
        try (LocalCluster restored = LocalCluster.existing(binaries, user, target, work)) {
            restored.configure(Map.of("archive_mode", "on", "archive_command", archiveCommand()));
            restored.start();
            restored.waitForRecoveryEnd(WAIT);
            String onTwo = restored.switchWalAndWaitForArchive(WAIT);
            assertThat(onTwo).startsWith("00000002");
            restored.stop();
        }
        Processes.Outcome switched = walstash("wal-verify");
        assertThat(switched.exitCode()).as(switched.output()).isZero();
        assertThat(switched.output()).contains("switch    timeline 1 -> 2 at ").contains("OK: ");
        JsonNode afterSwitch = json(walstash("wal-verify", "--json", "--deep"));
        assertThat(afterSwitch.get("latest_timeline").asLong()).isEqualTo(2);
        assertThat(afterSwitch.get("timeline_path").toString()).isEqualTo("[1,2]");
        assertThat(afterSwitch.get("switches").get(0).get("on_path").asBoolean()).isTrue();
        assertThat(afterSwitch.get("last").asText()).startsWith("00000002");
        assertThat(afterSwitch.get("corrupt")).as(afterSwitch.toString()).isEmpty();
    }
}
