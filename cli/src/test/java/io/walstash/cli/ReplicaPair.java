package io.walstash.cli;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A primary archiving into {@code repository} with wal-push (archive_timeout off) and a hot standby
 * streaming from it, made by pg_basebackup -R; in a fresh temporary directory that closing deletes.
 */
record ReplicaPair(Path work, Path repository, OsUser user, PostgresBinaries binaries, LocalCluster primary,
                   LocalCluster standby) implements AutoCloseable {

    static ReplicaPair start(String prefix, List<String> initdbOptions, Map<String, String> standbySettings)
            throws Exception {
        PostgresBinaries binaries = PostgresBinaries.find(System.getenv());
        OsUser user = OsUser.current();
        Path work = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        user.own(work);
        Path repository = work.resolve("repository");
        LocalCluster primary = LocalCluster.initdb(binaries, user, work.resolve("primary"), work, initdbOptions);
        LocalCluster standby = null;
        try {
            primary.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_timeout", "0", "archive_command",
                    "WALSTASH_DAEMON=off WALSTASH_STORAGE=file://" + repository + " " + Launcher.path() + " wal-push %p"));
            primary.start();
            primary.runTool("pg_basebackup", "-D", work.resolve("standby").toString(), "-R", "-X", "stream", "-c", "fast");
            standby = LocalCluster.existing(binaries, user, work.resolve("standby"), work);
            standby.configure(standbySettings);
            standby.start();
            return new ReplicaPair(work, repository, user, binaries, primary, standby);
        } catch (Exception | AssertionError e) {
            try (LocalCluster p = primary; LocalCluster s = standby) {
                FileTrees.delete(work);
            }
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try (LocalCluster p = primary; LocalCluster s = standby) {
            // the clusters stop first; then whatever archived or fetched for them
        } finally {
            Launcher.stopProcessesWorkingUnder(work);
            FileTrees.delete(work);
        }
    }
}
