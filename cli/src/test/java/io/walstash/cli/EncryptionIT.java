package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.PrefetchDirectory;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Encryption at rest end to end on one real PostgreSQL (issue 14): a repository that starts clear and
 * is encrypted from then on, full and delta backups, what works without the key, wrong keys, tampered,
 * truncated and swapped objects, restores identical to the source before and after rotating the
 * master key and the data key, and a marker row that appears in a clear repository's bytes but
 * nowhere in the encrypted one's.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class EncryptionIT extends EndToEndTest {
    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final Pattern DONE = Pattern.compile("backup (base_\\S+) done");
    private static final String MARKER = "walstash-marker-" + java.util.UUID.randomUUID();

    private Path repository;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        repository = work.resolve("repository");
        config = work.resolve("walstash.env");
        writeConfig(null);
    }

    /** The config file archive_command and restore_command read: switching keys needs no reload. */
    private void writeConfig(Path keyFile) throws Exception {
        String text = "WALSTASH_STORAGE=file://" + repository + "\nWALSTASH_COMPRESSION=none\nWALSTASH_BACKUP_PART_SIZE=1MiB\n"
                + (keyFile == null ? "" : "WALSTASH_ENCRYPTION_KEY_FILE=" + keyFile + "\n");
        Path temp = work.resolve("walstash.env.tmp");
        Files.writeString(temp, text);
        user.own(temp);
        Files.move(temp, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private Processes.Outcome walstash(Map<String, String> env, String... args) throws Exception {
        Map<String, String> withCache = new HashMap<>(env);
        withCache.putIfAbsent("XDG_CACHE_HOME", work.resolve("cache").toString()); // where PostgreSQL's user may write
        return Launcher.run(user, withCache, args);
    }

    /** With the config file (and so its key), as the cluster's commands run. */
    private Processes.Outcome configured(LocalCluster source, String... args) throws Exception {
        return configuredWith(source == null ? Map.of() : Launcher.libpqEnvironment(repository, source), args);
    }

    /** As above, with {@code environment} added. */
    private Processes.Outcome configuredWith(Map<String, String> environment, String... args) throws Exception {
        Map<String, String> env = new HashMap<>(environment);
        env.remove("WALSTASH_STORAGE");
        List<String> all = new ArrayList<>(List.of(args));
        all.add(args[0].equals("key") ? 2 : 1, "--config=" + config); // after the subcommand: key rotate-master --config=…
        return walstash(env, all.toArray(String[]::new));
    }

    private static Processes.Outcome ok(Processes.Outcome outcome) {
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        return outcome;
    }

    /** A failure: the exit code, one walstash error line, which names {@code expected}. */
    private static void fails(Processes.Outcome outcome, int exit, String expected) {
        assertThat(outcome.exitCode()).as(outcome.output()).isEqualTo(exit);
        List<String> errors = outcome.output().lines().filter(l -> l.startsWith("walstash: error: ")).toList();
        assertThat(errors).as(outcome.output()).hasSize(1);
        assertThat(errors.get(0)).contains(expected);
    }

    private String backupPush(LocalCluster source, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("backup-push", source.dataDirectory().toString()));
        args.addAll(List.of(options));
        Processes.Outcome outcome = ok(configured(source, args.toArray(String[]::new)));
        Matcher m = DONE.matcher(outcome.output());
        assertThat(m.find()).as(outcome.output()).isTrue();
        return m.group(1);
    }

    private static void execute(LocalCluster cluster, String sql) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static DataFingerprint fingerprint(LocalCluster cluster) throws Exception {
        try (Connection c = cluster.connect()) {
            return DataFingerprint.of(c);
        }
    }

    /**
     * Whether any file under {@code directory} holds {@code text}. A prefetch worker may still rename
     * a temporary file while the walk goes on: a file gone between listing and reading makes the
     * whole walk start again (its new name may not have been listed), up to 20 walks.
     */
    private static boolean anyFileHolds(Path directory, String text) throws Exception {
        for (int walk = 1; ; walk++) {
            try (Stream<Path> files = Files.walk(directory)) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains(text)) {
                        return true;
                    }
                }
                return false;
            } catch (java.nio.file.NoSuchFileException e) {
                if (walk == 20) {
                    throw e;
                }
            }
        }
    }

    private Path newKeyFile(String name) throws Exception {
        Path file = work.resolve(name);
        ok(walstash(Map.of(), "key", "generate", "--file", file.toString()));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        return file;
    }

    private void restoreAndCompare(String name, DataFingerprint expected) throws Exception {
        Path target = work.resolve(name);
        ok(configured(null, "restore", target.toString()));
        assertThat(Files.readString(target.resolve("postgresql.auto.conf"))).contains("--config ''" + config + "''") // quotes doubled in postgresql.auto.conf
                .doesNotContain("WALSTASH_ENCRYPTION_KEY=");
        try (LocalCluster restored = LocalCluster.existing(binaries, user, target, work)) {
            restored.configure(Map.of("archive_mode", "off"));
            restored.start();
            restored.waitForRecoveryEnd(WAIT);
            assertThat(fingerprint(restored)).isEqualTo(expected);
            restored.stop();
        }
    }

    /** Nothing restored there: no directory, or an empty one. */
    private static void assertNothingAt(Path destination) throws Exception {
        if (Files.exists(destination)) {
            try (Stream<Path> left = Files.list(destination)) {
                assertThat(left.toList()).isEmpty();
            }
        }
    }

    /** The archived WAL segment objects in the repository, oldest first. */
    private List<Path> segments() throws Exception {
        try (Stream<Path> files = Files.list(repository.resolve("wal"))) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}\\.[a-z0-9]+")).sorted().toList();
        }
    }

    /**
     * Spooled and prefetched files (what walstash keeps on local disk) hold no clear WAL with the key,
     * and a damaged one is caught ({@code keyFile} is the configured key): {@code markerObject} is the first encrypted segment (the marker row's),
     * {@code before} the clear one before it.
     */
    private void localFilesAreSealed(Path keyFile, Path before, Path markerObject) throws Exception {
        String previous = before.getFileName().toString().substring(0, 24);
        String markerSegment = markerObject.getFileName().toString().substring(0, 24);
        Path pgWal = Files.createDirectories(work.resolve("local").resolve("pg_wal"));
        user.own(pgWal.getParent());
        user.own(pgWal);
        Path destination = pgWal.resolve("RECOVERYXLOG");
        Map<String, String> prefetch = Map.of("WALSTASH_DOWNLOAD_CONCURRENCY", "2");
        ok(configuredWith(prefetch, "wal-fetch", previous, destination.toString()));
        PrefetchDirectory.Prefetched kept = ArchiveRecoverySteps.awaitPrefetched(
                PrefetchDirectory.beside(destination, repository.toUri(), java.time.Clock.systemUTC()), markerSegment, WAIT);
        assertThat(kept.decoded()).as("kept as stored, sealed: not decoded").isFalse();
        Path prefetched = kept.file();
        assertThat(prefetched.getFileName()).hasToString(markerSegment + ".raw");
        byte[] sealed = Files.readAllBytes(prefetched);
        assertThat(new String(sealed, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("WALSTENC");
        assertThat(anyFileHolds(prefetched.getParent(), MARKER)).as("clear WAL in the prefetch folder").isFalse();
        sealed[sealed.length / 2] ^= 0x04;
        Files.write(prefetched, sealed);

        // the damaged prefetched file is dropped and the segment fetched from storage: clear only at %p
        Processes.Outcome fetched = ok(configuredWith(prefetch, "wal-fetch", markerSegment, destination.toString()));
        assertThat(fetched.output()).contains("walstash: warning: prefetched file " + prefetched)
                .contains("fetching " + markerSegment + " from storage").doesNotContain("from prefetch");
        assertThat(anyFileHolds(destination, MARKER)).as("the fetched segment").isTrue();
        Path segment = Files.copy(destination, pgWal.resolve(markerSegment));
        user.own(segment);

        // storage unreachable: the segment is spooled sealed
        Path spool = work.resolve("local").resolve("spool");
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> unreachable = Map.of("WALSTASH_STORAGE", "s3://nobody-home/pg",
                "AWS_ENDPOINT", "http://127.0.0.1:" + closedPort, "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "key",
                "AWS_SECRET_ACCESS_KEY", "secret", "WALSTASH_RETRIES", "0", "WALSTASH_DAEMON", "off",
                "WALSTASH_ENCRYPTION_KEY_FILE", keyFile.toString());
        Processes.Outcome spooled = ok(walstash(unreachable, "wal-push", "--spool", spool.toString(), segment.toString()));
        assertThat(spooled.output()).contains(markerSegment + " spooled to " + spool.resolve(markerSegment));
        byte[] spooledBytes = Files.readAllBytes(spool.resolve(markerSegment));
        assertThat(new String(spooledBytes, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("WALSTENC");
        assertThat(anyFileHolds(spool, MARKER)).as("clear WAL in the spool").isFalse();

        // a damaged spooled file is reported and kept; once intact it drains (storage holds it already)
        spooledBytes[spooledBytes.length / 2] ^= 0x04;
        Files.write(spool.resolve(markerSegment), spooledBytes);
        Map<String, String> reachable = Map.of("WALSTASH_DAEMON", "off");
        Processes.Outcome damaged = ok(configuredWith(reachable, "wal-push", "--spool", spool.toString(), segment.toString()));
        assertThat(damaged.output()).contains("not drained, 1 file(s) waiting: spooled " + spool.resolve(markerSegment));
        assertThat(spool.resolve(markerSegment)).exists();
        spooledBytes[spooledBytes.length / 2] ^= 0x04;
        Files.write(spool.resolve(markerSegment), spooledBytes);
        ok(configuredWith(reachable, "wal-push", "--spool", spool.toString(), segment.toString()));
        assertThat(spool.resolve(markerSegment)).doesNotExist();
    }

    @Test
    void encryptedArchiveBackupsRotationsAndFailuresOnOneCluster() throws Exception {
        Path key1 = newKeyFile("key1");
        Path key2 = newKeyFile("key2");
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command",
                    "WALSTASH_DAEMON=off " + Launcher.path() + " wal-push --config " + config + " %p"));
            source.start();
            // before encryption: clear WAL, which stays readable afterwards
            source.switchWalAndWaitForArchive(WAIT);
            int clearSegments = segments().size();
            assertThat(clearSegments).isPositive();

            writeConfig(key1); // turning encryption on: every object written from now on is encrypted
            execute(source, "CREATE TABLE secrets (id int PRIMARY KEY, note text)");
            execute(source, "INSERT INTO secrets VALUES (1, '" + MARKER + "')");
            source.runTool("pgbench", "-i", "-q", "-s", "1", "postgres");
            String full = backupPush(source, "--full");
            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "200", "postgres");
            String delta = backupPush(source, "--delta-max-steps", "3");
            assertThat(delta).contains("_D_");
            source.switchWalAndWaitForArchive(WAIT);
            DataFingerprint first = fingerprint(source);

            // the control: the same cluster backed up into a clear repository shows the marker
            Path clear = work.resolve("clear");
            Map<String, String> clearEnv = Launcher.libpqEnvironment(clear, source);
            clearEnv.put("WALSTASH_COMPRESSION", "none");
            ok(walstash(clearEnv, "backup-push", source.dataDirectory().toString(), "--full"));
            assertThat(anyFileHolds(clear, MARKER)).as("the control repository holds the marker").isTrue();
            // the launcher keeps what encrypted commands load (Tink, the JDK's ciphers) in a class-data
            // archive of their own, named for the key the config file (here) or the environment holds,
            // and for the class path: the clear push names its file:// storage in the environment (the
            // scheme's jars only), the encrypted ones in the config file only (the whole of lib/)
            try (Stream<Path> archives = Files.walk(work.resolve("cache"))) {
                assertThat(archives.map(p -> p.getFileName().toString()))
                        .contains("backup-push-encrypted.jsa", "backup-push-file.jsa");
            }
            assertThat(anyFileHolds(repository, MARKER)).as("the encrypted repository holds the marker").isFalse();
            // file names, labels: only in the encrypted content.json (the clear WAL from before holds catalog names)
            assertThat(anyFileHolds(repository.resolve("backups"), "\"path\"")).as("file names in clear").isFalse();
            assertThat(anyFileHolds(repository.resolve("backups"), "START WAL LOCATION")).as("label in clear").isFalse();
            assertThat(anyFileHolds(clear.resolve("backups"), "START WAL LOCATION")).as("the control").isTrue();

            // status counts what is still clear; listing, status and wal-verify need no key
            assertThat(ok(configured(source, "status")).output()).containsPattern("encryption +on since .*"
                    + "\\(keyring generation 1\\); " + clearSegments + " objects, .* still stored clear");
            Map<String, String> noKey = Map.of("WALSTASH_STORAGE", "file://" + repository);
            assertThat(ok(walstash(noKey, "backup-list")).output()).contains(full).contains(delta);
            ok(walstash(noKey, "status"));
            ok(walstash(noKey, "wal-verify"));
            assertThat(ok(walstash(noKey, "wal-fetch", segments().get(0).getFileName().toString().substring(0, 24),
                    work.resolve("old-clear-segment").toString())).exitCode()).isZero(); // clear, from before

            // content needs the key: one line saying which, nothing placed
            String encryptedSegment = segments().get(segments().size() - 1).getFileName().toString().substring(0, 24);
            Path placed = work.resolve("fetched");
            fails(walstash(noKey, "wal-fetch", encryptedSegment, placed.toString()), 3, "WALSTASH_ENCRYPTION_KEY_FILE");
            fails(walstash(noKey, "backup-fetch", work.resolve("nokey").toString(), "LATEST"), 3, "no master key is configured");
            assertNothingAt(work.resolve("nokey"));
            Map<String, String> wrongKey = Map.of("WALSTASH_STORAGE", "file://" + repository,
                    "WALSTASH_ENCRYPTION_KEY_FILE", key2.toString());
            fails(walstash(wrongKey, "wal-fetch", encryptedSegment, placed.toString()), 3, "does not open the repository's keyring");
            Path history = work.resolve("push").resolve("00000009.history");
            Files.createDirectories(history.getParent());
            Files.writeString(history, "1\t0/3000000\tno recovery target specified\n");
            user.own(history.getParent());
            user.own(history);
            fails(walstash(noKey, "wal-push", history.toString()), 3, "is encrypted (it holds a keyring)");
            assertThat(repository.resolve("wal")).isDirectoryNotContaining("glob:**/00000009.history*");
            // restore writes no key into restore_command: a key given only in the environment is refused
            fails(walstash(Map.of("WALSTASH_STORAGE", "file://" + repository, "WALSTASH_ENCRYPTION_KEY",
                    Files.readString(key1).strip()), "restore", work.resolve("envkey").toString()), 3,
                    "restore never writes a key");
            assertThat(work.resolve("envkey")).doesNotExist();

            // flipped, truncated, swapped: exit 6, nothing placed
            Path object = segments().get(segments().size() - 1);
            Path otherObject = segments().get(segments().size() - 2);
            byte[] original = Files.readAllBytes(object);
            byte[] flipped = original.clone();
            flipped[flipped.length / 2] ^= 0x10;
            // the last: a clear walstash object (from before encryption) in place of the encrypted one
            for (byte[] bad : List.of(flipped, java.util.Arrays.copyOf(original, original.length - 1000),
                    Files.readAllBytes(otherObject), Files.readAllBytes(segments().get(0)))) {
                Files.write(object, bad);
                // stored well after encryption was turned on, however fast this machine got here
                Files.setLastModifiedTime(object, java.nio.file.attribute.FileTime.from(
                        java.time.Instant.now().plus(Duration.ofMinutes(10))));
                fails(configured(null, "wal-fetch", encryptedSegment, placed.toString()), 6, encryptedSegment);
                assertThat(placed).doesNotExist();
            }
            Files.write(object, original);
            Path backupFile;
            try (Stream<Path> files = Files.walk(repository.resolve("backups").resolve(full).resolve("files"))) {
                backupFile = files.filter(Files::isRegularFile).filter(f -> f.toString().contains("/base/"))
                        .max(java.util.Comparator.comparingLong(f -> f.toFile().length())).orElseThrow();
            }
            byte[] backupBytes = Files.readAllBytes(backupFile);
            byte[] tampered = backupBytes.clone();
            tampered[tampered.length - 20] ^= 0x01;
            Files.write(backupFile, tampered);
            fails(configured(null, "backup-fetch", work.resolve("tampered").toString(), full), 6, "does not");
            assertNothingAt(work.resolve("tampered"));
            Files.write(backupFile, backupBytes);

            restoreAndCompare("restored-1", first);
            long localStart = System.nanoTime();
            localFilesAreSealed(key1, segments().get(clearSegments - 1), segments().get(clearSegments));
            System.out.printf("EncryptionIT: local spool and prefetch checks took %d ms%n",
                    (System.nanoTime() - localStart) / 1_000_000);

            // rotations: a new master key (the old one then opens nothing), a new data key for what comes next
            ok(configured(null, "key", "rotate-master", "--new-key-file", key2.toString()));
            writeConfig(key2);
            ok(configured(null, "key", "rotate-data"));
            String keys = ok(configured(null, "key", "list")).output();
            assertThat(keys).containsPattern("(?m)^1 +\\S+ *$").containsPattern("(?m)^2 +\\S+ +yes$")
                    .doesNotContain(Files.readString(key1).strip()).doesNotContain(Files.readString(key2).strip());
            fails(walstash(Map.of("WALSTASH_STORAGE", "file://" + repository, "WALSTASH_ENCRYPTION_KEY_FILE",
                    key1.toString()), "key", "list"), 3, "does not open the repository's keyring");

            source.runTool("pgbench", "-c", "2", "-j", "2", "-t", "200", "postgres");
            String afterRotation = backupPush(source, "--delta-max-steps", "3"); // a delta over data key 1's objects
            assertThat(afterRotation).contains("_D_");
            execute(source, "INSERT INTO secrets VALUES (2, 'after rotation')");
            source.switchWalAndWaitForArchive(WAIT);
            DataFingerprint second = fingerprint(source);
            source.stop();
            restoreAndCompare("restored-2", second);
            assertThat(anyFileHolds(repository, MARKER)).isFalse();
        }
    }
}
