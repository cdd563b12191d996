package io.walstash.cli;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every end-to-end test of the launcher starts from: a fresh work directory per test, owned
 * by the OS user PostgreSQL runs as (PostgreSQL refuses root), and the PostgreSQL binaries; after
 * the test, every process still working under that directory (auto daemons, detached prefetch
 * workers) is stopped before it is deleted. A subclass's own {@code @AfterEach} runs first.
 */
abstract class EndToEndTest {
    protected Path work;
    protected OsUser user;
    protected PostgresBinaries binaries;

    @BeforeEach
    final void createWorkDirectory() throws Exception {
        binaries = PostgresBinaries.find(System.getenv());
        user = OsUser.current();
        // a short name: auto daemons' sockets live below it, and a Unix socket's path has 108 bytes
        work = Files.createTempDirectory("walstash-it-");
        // traversable: some tests run commands as another user than the directory's owner
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        user.own(work);
    }

    @AfterEach
    final void removeWorkDirectory() throws Exception {
        if (work != null) {
            Launcher.stopProcessesWorkingUnder(work);
            FileTrees.delete(work);
        }
    }
}
