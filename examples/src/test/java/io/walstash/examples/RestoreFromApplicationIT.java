package io.walstash.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.BackupPush;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.restore.RestoreService;
import io.walstash.core.spool.PushResult;
import io.walstash.examples.embedded.RestoreFromApplication;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An application backs up a real PostgreSQL cluster and restores it through core's RestoreService,
 * with no walstash command line: the restored server recovers and holds the same data.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class RestoreFromApplicationIT {
    private static final Duration WAIT = Duration.ofMinutes(4);

    private Path work;
    private PostgresBinaries binaries;
    private OsUser user;

    @BeforeEach
    void setUp() throws IOException {
        binaries = PostgresBinaries.find(System.getenv());
        user = OsUser.current();
        work = Files.createTempDirectory("walstash-restore-example-it-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        user.own(work);
    }

    @AfterEach
    void tearDown() throws IOException {
        FileTrees.delete(work);
    }

    @Test
    void anApplicationRestoresABackupThatRecoversToTheSameData() throws Exception {
        Path incoming = Files.createDirectory(work.resolve("incoming"));
        user.own(incoming);
        Configuration configuration = Configuration.of(Map.of(CoreSettings.STORAGE.name(), "file://" + work.resolve("repository")));
        DataFingerprint expected;
        try (WalArchive archive = WalArchive.open(configuration, "restore example test")) {
            try (LocalCluster source = LocalCluster.initdb(binaries, user, work.resolve("source"), work)) {
                // PostgreSQL hands its WAL to a directory; the application archives it from there
                source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                        "archive_command", "cp %p " + incoming + "/%f"));
                source.start();
                try (Connection c = source.connect(); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE before_backup AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 5000) g");
                }
                BackupManifest backup;
                try (Connection c = source.connect()) {
                    backup = new BackupPush(archive.storage(), Codecs.installed().byName("zstd"), "restore example test",
                            new PrintWriter(new StringWriter(), true), Clock.systemUTC())
                            .push(c, new BackupPush.Options(source.dataDirectory(), true, false, 0, 2, WAIT, false, false));
                }
                try (Connection c = source.connect(); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE after_backup AS SELECT g AS id FROM generate_series(1, 1000) g");
                }
                source.switchWalAndWaitForArchive(WAIT);
                try (Connection c = source.connect()) {
                    expected = DataFingerprint.of(c);
                }
                source.stop();
                assertThat(backup.name()).startsWith("base_");
            }
            try (Stream<Path> files = Files.list(incoming)) {
                for (Path file : files.sorted().toList()) {
                    assertThat(archive.push(file)).isNotInstanceOf(PushResult.Conflict.class);
                }
            }

            Path restoredData = work.resolve("restored");
            Path restoredWal = work.resolve("restored-wal");
            StringWriter log = new StringWriter();
            RestoreService.Result result = new RestoreFromApplication(archive, new PrintWriter(log, true))
                    .restoreLatest(restoredData, restoredWal);

            assertThat(result).as(log.toString()).isInstanceOf(RestoreService.Restored.class);
            assertThat(log.toString()).contains("chose base_");
            assertThat(restoredData.resolve("recovery.signal")).exists();
            ownTree(restoredData);
            ownTree(restoredWal);
            try (LocalCluster restored = LocalCluster.existing(binaries, user, restoredData, work)) {
                restored.start();
                restored.waitForRecoveryEnd(WAIT);
                try (Connection c = restored.connect()) {
                    assertThat(DataFingerprint.of(c)).isEqualTo(expected);
                }
                assertThat(expected.tables()).containsKeys("before_backup", "after_backup");
                restored.stop();
            }
        }
    }

    /** The restore ran as this (root) process; the server runs as the PostgreSQL OS user. */
    private void ownTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                user.own(p);
            }
        }
    }
}
