package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalGLibsodium;
import io.walstash.storage.s3.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real PostgreSQL archives its WAL through the built launcher (archive_command = wal-push) while
 * pgbench writes; a second cluster made from a pg_basebackup taken at the start, without WAL,
 * recovers from the archive alone (restore_command = wal-fetch) and must hold the same data.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ArchiveRecoveryIT extends EndToEndTest {
    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    private static final Duration WAIT = Duration.ofMinutes(4);

    /**
     * Also a migration from WAL-G with libsodium encryption on: the same archive_command stores each
     * WAL file a second time as WAL-G does (compressed by the zstd tool, then encrypted by libsodium
     * itself, under {@code wal_005/}), and a second copy of the base backup recovers from that
     * repository alone with WAL-G's key settings.
     */
    @Test
    void clusterRecoveredFromTheArchiveHoldsTheSameData() throws Exception {
        Path repository = work.resolve("repository");
        Path walg = work.resolve("walg");
        Path walgFolder = Files.createDirectories(walg.resolve("wal_005"));
        user.own(walg);
        user.own(walgFolder);
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Path rawKey = WalGLibsodium.writeKey(key, work.resolve("walg-raw.key"));
        user.own(rawKey);
        Path keyFile = WalGLibsodium.writeKey((Base64.getEncoder().encodeToString(key) + "\n").getBytes(
                java.nio.charset.StandardCharsets.US_ASCII), work.resolve("walg.key"));
        user.own(keyFile);
        String object = walgFolder + "/%f.zst";
        WalGCopy copy = new WalGCopy("zstd -q -c %p | " + WalGLibsodium.program() + " " + rawKey + " > " + object + ".tmp"
                + " && mv " + object + ".tmp " + object,
                "WALG_FILE_PREFIX=" + walg + " WALG_LIBSODIUM_KEY_PATH=" + keyFile + " WALG_LIBSODIUM_KEY_TRANSFORM=base64",
                () -> fileNames(walgFolder));
        // configured only through WAL-G's names, as an existing WAL-G setup would be
        archiveLoadAndRecover(List.of(), "WALG_FILE_PREFIX=" + repository + " WALG_COMPRESSION_METHOD=lz4",
                "WALSTASH_STORAGE=file://" + repository, () -> fileNames(repository.resolve("wal")), "lz4", 3,
                Optional.of(copy));
    }

    /** Also: a segment size other than 16 MiB (64) is read from the cluster's WAL, not assumed. */
    @Test
    void clusterRecoveredFromS3ConfiguredLikeWalG() throws Exception {
        String bucket = S3.newBucket();
        // exactly the environment of the WAL-G setup this replaces, pointed at s3proxy
        String environment = "WALG_S3_PREFIX=s3://" + bucket + "/pg-primary WALG_COMPRESSION_METHOD=brotli"
                + " AWS_ENDPOINT=" + S3.endpoint() + " AWS_S3_FORCE_PATH_STYLE=true AWS_REGION=" + S3ProxyServer.REGION
                + " AWS_ACCESS_KEY_ID=" + S3ProxyServer.ACCESS_KEY + " AWS_SECRET_ACCESS_KEY=" + S3ProxyServer.SECRET_KEY;
        archiveLoadAndRecover(List.of("--wal-segsize=64"), environment, environment, () -> S3.client()
                .listObjectsV2Paginator(b -> b.bucket(bucket).prefix("pg-primary/wal/")).contents().stream()
                .map(o -> o.key().substring(o.key().lastIndexOf('/') + 1)).toList(), "br", 1);
    }

    @Test
    void archivingAndRecoveryThroughTheDaemon() throws Exception {
        Path repository = work.resolve("repository");
        Path socket = work.resolve("walstash.sock");
        Path log = work.resolve("daemon.log");
        // the daemon runs as PostgreSQL's OS user: its socket admits no one else
        ProcessBuilder builder = new ProcessBuilder(user.wrap(List.of(Launcher.path().toString(), "daemon",
                "--socket", socket.toString()))).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("WALSTASH_STORAGE", "file://" + repository);
        Process daemon = builder.start();
        try {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.exists(socket) && daemon.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(socket).as(Files.readString(log)).exists();
            // archive_command and restore_command as usual; only the socket is added to the environment
            String environment = "WALSTASH_STORAGE=file://" + repository + " WALSTASH_DAEMON_SOCKET=" + socket;
            archiveLoadAndRecover(List.of(), environment, environment, () -> fileNames(repository.resolve("wal")), "zst", 3);
            String served = Files.readString(log);
            assertThat(served.lines().filter(l -> l.contains(": PUSH ") && l.contains(" exit 0 ")).count())
                    .as(served).isGreaterThanOrEqualTo(3);
            assertThat(served.lines().filter(l -> l.contains(": FETCH ") && l.contains(" exit 0 "))).isNotEmpty();
        } finally {
            daemon.descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly();
            daemon.waitFor();
        }
    }

    private static List<String> fileNames(Path directory) throws java.io.IOException {
        try (Stream<Path> stored = Files.list(directory)) {
            return stored.map(p -> p.getFileName().toString()).toList();
        }
    }

    /**
     * Archives a loaded cluster's WAL through the launcher with {@code archiveEnvironment}, recovers
     * a pg_basebackup taken at the start (without WAL) with {@code restoreEnvironment}, and compares.
     */
    private void archiveLoadAndRecover(List<String> initdbOptions, String archiveEnvironment, String restoreEnvironment,
                                       java.util.concurrent.Callable<List<String>> storedWal, String extension,
                                       int minimumSegments) throws Exception {
        archiveLoadAndRecover(initdbOptions, archiveEnvironment, restoreEnvironment, storedWal, extension, minimumSegments,
                Optional.empty());
    }

    /**
     * A repository laid out as WAL-G's: {@code archiveCommand} (run after wal-push succeeded) stores
     * {@code %p} there, {@code restoreEnvironment} makes wal-fetch read it, {@code storedWal} lists it.
     */
    private record WalGCopy(String archiveCommand, String restoreEnvironment,
                            java.util.concurrent.Callable<List<String>> storedWal) {
    }

    /** As above; with {@code walg}, a copy of the base backup recovers from that repository too. */
    private void archiveLoadAndRecover(List<String> initdbOptions, String archiveEnvironment, String restoreEnvironment,
                                       java.util.concurrent.Callable<List<String>> storedWal, String extension,
                                       int minimumSegments, Optional<WalGCopy> walg) throws Exception {
        String launcher = Launcher.path().toString();
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work, initdbOptions);
             LocalCluster restored = LocalCluster.existing(binaries, user, work.resolve("restored"), work);
             LocalCluster fromWalG = LocalCluster.existing(binaries, user, work.resolve("restored-walg"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", "WALSTASH_DAEMON=off " + archiveEnvironment + " " + launcher + " wal-push %p"
                            + walg.map(w -> " && " + w.archiveCommand()).orElse("")));
            source.start();
            source.runTool("pg_basebackup", "-D", restored.dataDirectory().toString(), "-X", "none", "-c", "fast");
            if (walg.isPresent()) {
                Processes.run(List.of("cp", "-a", restored.dataDirectory().toString(), fromWalG.dataDirectory().toString()),
                        Map.of(), WAIT);
            }

            ArchiveRecoverySteps.load(source, 3, 4, 1500, 20000);
            DataFingerprint expected = ArchiveRecoverySteps.archiveAndStop(source, WAIT, minimumSegments);
            assertThat(expected.tables()).containsKeys("pgbench_accounts", "pgbench_history", "events");
            assertThat(expected.tables().get("pgbench_history").rows()).isEqualTo(4 * 1500);
            assertThat(storedWal.call()).isNotEmpty().allMatch(n -> n.endsWith("." + extension));

            String log = ArchiveRecoverySteps.recoverAndCompare(restored, user,
                    "WALSTASH_DAEMON=off " + restoreEnvironment + " " + launcher + " wal-fetch %f %p", WAIT, expected);
            assertThat(log).contains("restored log file").doesNotContain("wal-fetch: error");
            if (walg.isPresent()) {
                restored.stop(); // one recovered cluster at a time on this small machine
                assertThat(walg.get().storedWal().call()).hasSizeGreaterThanOrEqualTo(minimumSegments)
                        .allMatch(n -> n.endsWith(".zst"));
                String walgLog = ArchiveRecoverySteps.recoverAndCompare(fromWalG, user, "WALSTASH_DAEMON=off "
                        + walg.get().restoreEnvironment() + " " + launcher + " wal-fetch %f %p", WAIT, expected);
                assertThat(walgLog).contains("restored log file").doesNotContain("wal-fetch: error");
            }
        }
    }

    @Test
    void demoRunsEndToEndThroughTheLauncher() throws Exception {
        Processes.Outcome outcome = Launcher.run(new OsUser(java.util.Optional.empty()), Map.of(),
                "demo", "--scale", "1", "--transactions", "200");
        assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        assertThat(outcome.output())
                .contains("wal-push")
                .contains("archived")
                .containsPattern("OK: 5 tables, \\d+ rows identical");
    }
}
