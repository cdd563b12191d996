package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.PrefetchDirectory;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restore prefetch through the packaged launcher, as PostgreSQL runs it: restore_command is a
 * one-shot wal-fetch that starts the detached wal-prefetch worker, and later calls take the
 * segments the worker placed in pg_wal/.walstash-prefetch.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class PrefetchRecoveryIT extends EndToEndTest {
    @RegisterExtension
    static final S3ProxyServer S3 = new S3ProxyServer();

    private static final Duration WAIT = Duration.ofMinutes(4);
    private static final Pattern FROM_PREFETCH = Pattern.compile("walstash: [0-9A-F]{24} from prefetch");

    @Test
    void longWalChainRecoversFromS3ThroughPrefetchedSegments() throws Exception {
        String launcher = Launcher.path().toString();
        String environment = ArchiveRecoverySteps.s3Environment(S3, S3.newBucket()) + " WALG_DOWNLOAD_CONCURRENCY=4";
        try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work);
             LocalCluster restored = LocalCluster.existing(binaries, user, work.resolve("restored"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", "WALSTASH_DAEMON=off " + environment + " " + launcher + " wal-push %p"));
            source.start();
            source.runTool("pg_basebackup", "-D", restored.dataDirectory().toString(), "-X", "none", "-c", "fast");

            int switches = 12; // three times the prefetch window (4): most segments can come from prefetch
            DataFingerprint expected = ArchiveRecoverySteps.loadSwitchesArchiveAndStop(source, WAIT, switches);

            String log = ArchiveRecoverySteps.recoverAndCompare(restored, user,
                    "WALSTASH_DAEMON=off " + environment + " " + launcher + " wal-fetch %f %p", WAIT, expected);
            long restoredSegments = Pattern.compile("restored log file \"[0-9A-F]{24}\" from archive").matcher(log)
                    .results().count();
            long prefetched = FROM_PREFETCH.matcher(log).results().count();
            assertThat(restoredSegments).as("segments restored").isGreaterThanOrEqualTo(switches);
            assertThat(prefetched).as("segments taken from prefetch, of " + restoredSegments + "\n" + log.substring(Math.max(0, log.length() - 4000)))
                    .isPositive();
            System.out.printf("PrefetchRecoveryIT: %d segments restored, %d from prefetch%n", restoredSegments, prefetched);
            assertThat(log).doesNotContain("walstash: error").doesNotContain("fails its checksum");
            // nothing that looks like WAL was left in pg_wal by prefetch, and its folder holds no segment
            Path root = restored.dataDirectory().resolve("pg_wal").resolve(PrefetchDirectory.ROOT);
            assertThat(root).isDirectory();
            try (var files = Files.walk(root)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .noneMatch(n -> n.matches("[0-9A-F]{24}\\..*") && !n.startsWith("."));
            }
            try (var logs = Files.walk(root)) {
                for (Path workerLog : logs.filter(p -> p.getFileName().toString().equals("worker.log")).toList()) {
                    assertThat(Files.readString(workerLog)).as("worker log").doesNotContainIgnoringCase("error")
                            .doesNotContain("Exception");
                }
            }
        }
    }

    @Test
    void corruptPrefetchedFileIsFetchedAgainThroughTheCommandLine() throws Exception {
        Path repository = work.resolve("repository");
        Path pgWal = Files.createDirectories(work.resolve("pg_wal"));
        Path walFiles = Files.createDirectories(work.resolve("generated"));
        OsUser self = new OsUser(Optional.empty());
        Map<String, String> env = new HashMap<>(Map.of("WALSTASH_STORAGE", repository.toUri().toString(),
                "WALSTASH_DOWNLOAD_CONCURRENCY", "2"));
        List<String> names = List.of("000000010000000000000001", "000000010000000000000002", "000000010000000000000003");
        for (String name : names) {
            Path file = WalSegmentFiles.segment(walFiles, name, 77, name.hashCode());
            Processes.Outcome push = Launcher.run(self, env, "wal-push", file.toString());
            assertThat(push.exitCode()).as(push.output()).isZero();
        }
        Path destination = pgWal.resolve("RECOVERYXLOG");
        Processes.Outcome first = Launcher.run(self, env, "wal-fetch", names.get(0), destination.toString());
        assertThat(first.exitCode()).as(first.output()).isZero();

        // the detached worker fills the prefetch folder after wal-fetch returned
        PrefetchDirectory directory = PrefetchDirectory.beside(destination, URI.create(repository.toUri().toString()),
                Clock.systemUTC());
        Path second = ArchiveRecoverySteps.awaitPrefetched(directory, names.get(1), WAIT).file();
        Path third = ArchiveRecoverySteps.awaitPrefetched(directory, names.get(2), WAIT).file();
        // kept decoded (the segment's own bytes), named with their SHA-256, which the take checks again
        assertThat(third).hasSameBinaryContentAs(walFiles.resolve(names.get(2)));
        byte[] bytes = Files.readAllBytes(second);
        bytes[bytes.length - 7] ^= 0x33;
        Files.write(second, bytes);

        Processes.Outcome corrupt = Launcher.run(self, env, "wal-fetch", names.get(1), destination.toString());
        assertThat(corrupt.exitCode()).as(corrupt.output()).isZero();
        assertThat(corrupt.output().lines().filter(l -> l.contains("prefetched file")))
                .singleElement().asString().startsWith("walstash: warning: prefetched file " + second)
                .endsWith("deleted it, fetching " + names.get(1) + " from storage");
        assertThat(corrupt.output()).doesNotContain("from prefetch");
        assertThat(destination).hasSameBinaryContentAs(walFiles.resolve(names.get(1)));
        assertThat(second).doesNotExist();

        Processes.Outcome intact = Launcher.run(self, env, "wal-fetch", names.get(2), destination.toString());
        assertThat(intact.exitCode()).as(intact.output()).isZero();
        assertThat(intact.output()).contains("walstash: " + names.get(2) + " from prefetch");
        assertThat(destination).hasSameBinaryContentAs(walFiles.resolve(names.get(2)));

        Processes.Outcome end = Launcher.run(self, env, "wal-fetch", "000000010000000000000004", destination.toString());
        assertThat(end.exitCode()).as(end.output()).isEqualTo(ExitCode.NOT_FOUND.code());
    }
}
