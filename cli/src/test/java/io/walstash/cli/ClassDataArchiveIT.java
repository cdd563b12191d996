package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the launcher dumps a command's class-data archive: backup-push (and the per-WAL-file
 * commands) at their first run, backup-fetch and restore at their second, since a host's first
 * restore, often the one an incident waits for, runs faster with no archive than while dumping one.
 * And what publishing an archive cleans up: the archives of launcher folders that are gone.
 */
class ClassDataArchiveIT {
    @TempDir
    Path dir;

    /** The JVM options a launched {@code verb --help} ran with (the JVM's own account of them). */
    private String jvmFlags(Path cache, String verb) throws Exception {
        return jvmFlags(cache, verb, "");
    }

    /** The same, with {@code javaOptions} added to WALSTASH_JAVA_OPTS. */
    private String jvmFlags(Path cache, String verb, String javaOptions) throws Exception {
        Map<String, String> environment = Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString(),
                "XDG_CACHE_HOME", cache.toString(),
                "WALSTASH_JAVA_OPTS", "-XX:+DisplayVMOutput -XX:+PrintCommandLineFlags " + javaOptions);
        Processes.Outcome help = Processes.runAllowingFailure(List.of(Launcher.path().toString(), verb, "--help"),
                Launcher.withCache(environment), Duration.ofMinutes(5));
        assertThat(help.exitCode()).as(help.output()).isZero();
        assertThat(help.output()).as("the JVM printed its flags").contains("-XX:+UseSerialGC");
        return help.output();
    }

    @Test
    void aRestoreCommandDumpsItsArchiveAtItsSecondRunAndMapsItFromTheThird() throws Exception {
        for (String verb : List.of("backup-fetch", "restore")) {
            Path cache = dir.resolve("cache-" + verb);
            Path archive = Launcher.classDataArchives(cache).resolve(verb + "-file.jsa");

            String first = jvmFlags(cache, verb);
            assertThat(first).as(verb + ": the first run neither dumps nor maps")
                    .doesNotContain("ArchiveClassesAtExit").doesNotContain("SharedArchiveFile");
            assertThat(archive).doesNotExist();
            assertThat(archive.resolveSibling(verb + "-file.jsa.first")).as("what tells the next run to dump").isRegularFile();

            String second = jvmFlags(cache, verb);
            assertThat(second).as(verb + ": the second run dumps").contains("-XX:ArchiveClassesAtExit=" + archive);
            assertThat(archive).as("published after the second run's success").isRegularFile();

            String third = jvmFlags(cache, verb);
            assertThat(third).as(verb + ": later runs map it").contains("-XX:SharedArchiveFile=" + archive)
                    .doesNotContain("ArchiveClassesAtExit");
        }
    }

    @Test
    void aRestoreCommandMapsBackupPushsArchiveWhenItHasNoneOfItsOwnAndDumpsNone() throws Exception {
        Path cache = dir.resolve("cache");
        Path pushArchive = Launcher.classDataArchives(cache).resolve("backup-push-file.jsa");
        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:ArchiveClassesAtExit=" + pushArchive);
        // the dump holds the restore path's classes too (ClassDataPreload), though backup-push ran none of it
        assertThat(jvmFlags(cache, "backup-fetch", "-XX:+PrintSharedArchiveAndExit -XX:+PrintSharedDictionary"))
                .contains("io.walstash.core.backup.BackupFetch ", "io.walstash.core.restore.RestoreService ");
        for (String verb : List.of("backup-fetch", "restore")) {
            for (int run = 1; run <= 3; run++) {
                // -Xshare:on: a JVM that cannot map the archive (another class path) does not start
                assertThat(jvmFlags(cache, verb, "-Xshare:on")).as(verb + ", run " + run)
                        .contains("-XX:SharedArchiveFile=" + pushArchive).doesNotContain("ArchiveClassesAtExit");
            }
            assertThat(pushArchive.resolveSibling(verb + "-file.jsa")).doesNotExist();
            assertThat(pushArchive.resolveSibling(verb + "-file.jsa.first")).doesNotExist();
        }
    }

    @Test
    void backupPushDumpsItsArchiveAtItsFirstRun() throws Exception {
        Path cache = dir.resolve("cache");
        Path archive = Launcher.classDataArchives(cache).resolve("backup-push-file.jsa");

        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:ArchiveClassesAtExit=" + archive);
        assertThat(archive).isRegularFile();
        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:SharedArchiveFile=" + archive);
    }

    /** Stale archives a gone launcher folder left, one of each kind of file the launcher writes. */
    private static List<Path> staleFiles(Path folderArchives) throws Exception {
        Files.createDirectories(folderArchives);
        List<Path> stale = List.of(folderArchives.resolve("backup-push-file.jsa"), folderArchives.resolve("restore-file.jsa.first"),
                folderArchives.resolve("wal-push-file.jsa.4242.tmp"));
        for (Path file : stale) {
            Files.write(file, new byte[] {1, 2, 3});
        }
        return stale;
    }

    @Test
    void publishingAnArchiveRemovesThoseOfLauncherFoldersThatAreGoneAndKeepsTheOthers() throws Exception {
        Path cache = dir.resolve("cache");
        Path archives = cache.resolve("walstash/cds");
        Path real = dir.toRealPath();
        Path goneArchives = archives.resolve(real.toString().substring(1)).resolve("gone/walstash");
        List<Path> stale = staleFiles(goneArchives);
        Path otherFolder = Files.createDirectories(real.resolve("other/walstash/bin")).getParent();
        Files.writeString(otherFolder.resolve("bin/walstash"), "#!/bin/sh\n");
        Path otherArchive = Files.createDirectories(archives.resolve(otherFolder.toString().substring(1))).resolve("backup-fetch-file.jsa");
        Files.write(otherArchive, new byte[] {4, 5, 6});

        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:ArchiveClassesAtExit=");
        Path own = Launcher.classDataArchives(cache);
        assertThat(own.resolve("backup-push-file.jsa")).isRegularFile();
        assertThat(stale).as("a gone folder's archives, markers and dumps").allSatisfy(f -> assertThat(f).doesNotExist());
        assertThat(archives.resolve(real.toString().substring(1)).resolve("gone")).as("and the cache folders they leave empty")
                .doesNotExist();
        assertThat(otherArchive).as("a folder that is there keeps its archive").isRegularFile();
        assertThat(archives).as("the cache's own folder stays").isDirectory();
        // owner-only: the folder the launcher made and the archive it published
        assertThat(Files.getPosixFilePermissions(own)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(own.resolve("backup-push-file.jsa")))
                .isEqualTo(PosixFilePermissions.fromString("r--------"));

        // a run that maps its archive publishes nothing and looks for nothing
        List<Path> again = staleFiles(goneArchives);
        assertThat(jvmFlags(cache, "backup-push")).contains("-XX:SharedArchiveFile=");
        assertThat(again).allSatisfy(f -> assertThat(f).isRegularFile());
    }

    @Test
    void theDaemonPublishingAnEarlierDaemonsDumpRemovesTheArchivesOfGoneFolders() throws Exception {
        Path cache = dir.resolve("cache");
        Path real = dir.toRealPath();
        List<Path> stale = staleFiles(cache.resolve("walstash/cds").resolve(real.toString().substring(1)).resolve("gone/walstash"));
        // a finished dump (the archive's magic number first) of a daemon that is gone: no such pid
        Path own = Files.createDirectories(Launcher.classDataArchives(cache));
        long deadPid = 4_194_305L; // above every pid Linux hands out (pid_max is 4194304 at most)
        Path dump = own.resolve("daemon-file.jsa." + deadPid + ".tmp");
        Files.write(dump, new byte[] {(byte) 0xa8, (byte) 0xab, 0x0b, (byte) 0xf0, 0, 0, 0, 0});

        jvmFlags(cache, "daemon");
        assertThat(own.resolve("daemon-file.jsa")).as("the earlier daemon's dump, published").isRegularFile();
        assertThat(Files.getPosixFilePermissions(own.resolve("daemon-file.jsa"))).isEqualTo(PosixFilePermissions.fromString("r--------"));
        assertThat(stale).allSatisfy(f -> assertThat(f).doesNotExist());
    }
}
