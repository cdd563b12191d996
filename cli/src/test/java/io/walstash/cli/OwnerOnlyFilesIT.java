package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.PrefetchDirectory;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, finding 4: what walstash creates on local disk (a file:// repository, spool, prefetch
 * folder, temporary files, the fetched file) is owner-only however permissive the caller's umask.
 * Java cannot set a umask, so the launcher runs under {@code sh -c 'umask 022; exec …'}.
 */
class OwnerOnlyFilesIT extends EndToEndTest {
    private static final List<String> NAMES = List.of("000000010000000000000001", "000000010000000000000002",
            "000000010000000000000003");

    @Test
    void repositorySpoolAndPrefetchFilesAreOwnerOnlyUnderUmask022() throws Exception {
        Path generated = Files.createDirectories(work.resolve("generated"));
        user.own(generated);
        List<Path> segments = new ArrayList<>();
        for (String name : NAMES) {
            Path segment = WalSegmentFiles.segment(generated, name, 77, name.hashCode());
            user.own(segment);
            segments.add(segment);
        }
        Path repository = work.resolve("repository");
        Map<String, String> env = new HashMap<>(Map.of("WALSTASH_STORAGE", repository.toUri().toString(),
                "WALSTASH_DOWNLOAD_CONCURRENCY", "2"));
        for (Path segment : segments) {
            Processes.Outcome push = underUmask022(env, "wal-push", segment.toString());
            assertThat(push.exitCode()).as(push.output()).isZero();
        }
        assertOwnerOnly(repository);

        // storage unreachable: the file goes to the spool
        Path spool = work.resolve("spool");
        Map<String, String> unreachable = Map.of("WALSTASH_STORAGE", "s3://bucket/prefix",
                "AWS_ENDPOINT", "http://127.0.0.1:1", "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "k",
                "AWS_SECRET_ACCESS_KEY", "s", "WALSTASH_RETRIES", "0", "WALSTASH_S3_MAX_RETRIES", "0",
                "WALSTASH_SPOOL", spool.toString());
        Processes.Outcome spooled = underUmask022(unreachable, "wal-push", segments.get(0).toString());
        assertThat(spooled.exitCode()).as(spooled.output()).isZero();
        assertThat(spooled.output()).contains("spooled to");
        assertOwnerOnly(spool);

        // a fetch places its file, and its prefetch worker fills pg_wal/.walstash-prefetch
        Path pgWal = Files.createDirectories(work.resolve("data/pg_wal"));
        user.own(pgWal);
        Path destination = pgWal.resolve("RECOVERYXLOG");
        Processes.Outcome fetch = underUmask022(env, "wal-fetch", NAMES.get(0), destination.toString());
        assertThat(fetch.exitCode()).as(fetch.output()).isZero();
        Path prefetched = ArchiveRecoverySteps.awaitPrefetched(PrefetchDirectory.beside(destination,
                URI.create(repository.toUri().toString()), Clock.systemUTC()), NAMES.get(2), Duration.ofMinutes(4)).file();
        assertThat(mode(prefetched)).as("a prefetched segment, kept decoded").isEqualTo("rw-------");
        assertThat(mode(destination)).isEqualTo("rw-------");
        assertOwnerOnly(pgWal.resolve(PrefetchDirectory.ROOT));
    }

    private Processes.Outcome underUmask022(Map<String, String> environment, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "umask 022; exec \"$0\" \"$@\"",
                Launcher.path().toString()));
        command.addAll(List.of(arguments));
        return Processes.runAllowingFailure(user.wrap(command), Launcher.withCache(environment), Duration.ofMinutes(5));
    }

    private static void assertOwnerOnly(Path top) throws IOException {
        assertThat(top).exists();
        try (Stream<Path> all = Files.walk(top)) {
            List<Path> paths = all.toList();
            assertThat(paths).hasSizeGreaterThan(1);
            for (Path path : paths) {
                assertThat(mode(path)).as(path.toString()).isEqualTo(Files.isDirectory(path) ? "rwx------" : "rw-------");
            }
        }
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

}
