package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unreadable WAL files and unwritable destinations, through the launcher. Root reads and writes
 * anything, so when the tests run as root the launcher runs as the unprivileged PostgreSQL user,
 * the way PostgreSQL itself would run it.
 */
class PermissionErrorsIT {
    @TempDir
    Path dir;

    @Test
    void unreadableFileAndUnwritableDestinationAreOneLineErrors() throws Exception {
        OsUser user = OsUser.current();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path repository = Files.createDirectory(dir.resolve("repository"));
        user.own(repository);
        String storage = "file://" + repository;

        Path pgWal = Files.createDirectory(dir.resolve("pg_wal"));
        Path segment = Files.write(pgWal.resolve("000000010000000000000001"), new byte[1 << 20]);
        Files.setPosixFilePermissions(segment, PosixFilePermissions.fromString(user.runAs().isPresent() ? "rw-------" : "---------"));

        Processes.Outcome push = Launcher.run(user, Map.of(), "wal-push", "--storage", storage, segment.toString());
        assertThat(push.exitCode()).as(push.output()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(push.output().strip().lines()).singleElement().asString()
                .startsWith("walstash: error: permission denied: " + segment);
        try (Stream<Path> stored = Files.walk(repository)) {
            assertThat(stored.filter(Files::isRegularFile)).isEmpty();
        }

        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path history = Files.writeString(pgWal.resolve("00000002.history"), "1\t0/3000000\tno recovery target specified\n");
        Files.setPosixFilePermissions(history, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Launcher.run(user, Map.of(), "wal-push", "--storage", storage, history.toString()).exitCode()).isZero();

        Processes.Outcome fetch = Launcher.run(user, Map.of(), "wal-fetch", "--storage", storage, "00000002.history",
                readOnly.resolve("RECOVERYHISTORY").toString());
        assertThat(fetch.exitCode()).as(fetch.output()).isEqualTo(ExitCode.IO_ERROR.code());
        assertThat(fetch.output().strip().lines()).singleElement().asString()
                .startsWith("walstash: error: permission denied: " + readOnly.resolve("RECOVERYHISTORY"));
        try (Stream<Path> left = Files.list(readOnly)) {
            assertThat(left).isEmpty();
        }
    }
}
