package io.walstash.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code walstash restore} starts ahead of the recovery ({@link Daemons#startAhead}): the auto
 * daemon of the configuration its restore_command will have, in the data directory, through the
 * launcher; nothing when the daemon is off, a socket is configured or one runs; one reason when the
 * runtime directory is not this user's alone. The launcher here is a script that writes down how it
 * was started; AutoDaemonIT runs the real one and a recovery through it.
 */
class DaemonAheadStartTest {
    @TempDir
    Path dir;
    private Path runtime;
    private Path dataDirectory;
    private Path launcher;
    private Path started;

    @BeforeEach
    void setUp() throws IOException {
        runtime = Files.createDirectory(dir.resolve("xdg"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        dataDirectory = Files.createDirectory(dir.resolve("data"));
        started = dir.resolve("started");
        launcher = dir.resolve("walstash");
        // writes its working directory, arguments and the key file it was given, then a line saying it is done
        Files.writeString(launcher, "#!/bin/sh\n{ pwd; echo \"$*\"; echo \"key=$WALSTASH_ENCRYPTION_KEY_FILE\"; } > '" + started
                + ".tmp'\nmv '" + started + ".tmp' '" + started + "'\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
    }

    private Map<String, String> environment(String... more) {
        Map<String, String> environment = new HashMap<>(Map.of("XDG_RUNTIME_DIR", runtime.toString(),
                "WALSTASH_LAUNCHER", launcher.toString(), "WALSTASH_STORAGE", "file:///somewhere/else"));
        for (int i = 0; i < more.length; i += 2) {
            environment.put(more[i], more[i + 1]);
        }
        return environment;
    }

    private String launcherSaw() throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofMinutes(1).toNanos();
        while (!Files.exists(started)) {
            assertThat(System.nanoTime() - deadline).as("the launcher ran within a minute").isNegative();
            Thread.sleep(10);
        }
        return Files.readString(started);
    }

    @Test
    void startsTheLaunchersAutoDaemonInTheDataDirectoryWithTheCommandLinesStorageAndKeyFile() throws Exception {
        Daemons.AheadStart start = Daemons.startAhead(environment(), Map.of("WALSTASH_ENCRYPTION_KEY_FILE", "/etc/key"),
                null, "file:///repository", dataDirectory);

        assertThat(start).isInstanceOf(Daemons.AheadStart.Started.class);
        Path socket = ((Daemons.AheadStart.Started) start).socket();
        assertThat(socket.getParent()).isEqualTo(runtime.resolve("walstash"));
        assertThat(launcherSaw()).isEqualTo(dataDirectory + "\ndaemon --auto --storage=file:///repository\nkey=/etc/key\n");
        // the marker keeps a recovery's first call from starting a second one while this one starts
        assertThat(AutoDaemon.startMarker(socket)).exists();

        // the configuration is the command line's: its storage, not the environment's; the data directory's
        Daemons.AheadStart other = Daemons.startAhead(environment(), Map.of("WALSTASH_ENCRYPTION_KEY_FILE", "/etc/key"),
                null, "file:///another", dataDirectory);
        assertThat(((Daemons.AheadStart.Started) other).socket()).isNotEqualTo(socket);
    }

    @Test
    void aDaemonListeningAlreadyIsLeftAlone() throws Exception {
        Daemons.AheadStart first = Daemons.startAhead(environment(), Map.of(), null, "file:///repository", dataDirectory);
        Path socket = ((Daemons.AheadStart.Started) first).socket();
        launcherSaw();
        Files.delete(started);
        Files.delete(AutoDaemon.startMarker(socket));
        Files.createFile(socket); // where the daemon listens

        assertThat(Daemons.startAhead(environment(), Map.of(), null, "file:///repository", dataDirectory))
                .isEqualTo(new Daemons.AheadStart.Running(socket));
        assertThat(started).doesNotExist();
    }

    @Test
    void nothingStartsWhenTheDaemonIsOffOrASocketIsConfiguredOrThereIsNoLauncher() {
        assertThat(Daemons.startAhead(environment("WALSTASH_DAEMON", "off"), Map.of(), null, "file:///r", dataDirectory))
                .isEqualTo(new Daemons.AheadStart.Skipped("WALSTASH_DAEMON=off"));
        assertThat(Daemons.startAhead(environment("WALSTASH_DAEMON_SOCKET", dir.resolve("d.sock").toString()), Map.of(), null,
                "file:///r", dataDirectory)).isEqualTo(new Daemons.AheadStart.Skipped("a daemon socket is configured"));
        Map<String, String> noLauncher = environment();
        noLauncher.remove("WALSTASH_LAUNCHER");
        assertThat(Daemons.startAhead(noLauncher, Map.of(), null, "file:///r", dataDirectory))
                .isInstanceOf(Daemons.AheadStart.Skipped.class);
        assertThat(started).doesNotExist();
        assertThat(runtime.resolve("walstash")).doesNotExist();
    }

    @Test
    void aRuntimeDirectoryOthersCouldUseIsRefusedWithTheReason() throws Exception {
        Files.createDirectory(runtime.resolve("walstash"));
        Files.setPosixFilePermissions(runtime.resolve("walstash"), PosixFilePermissions.fromString("rwxr-xr-x"));

        Daemons.AheadStart start = Daemons.startAhead(environment(), Map.of(), null, "file:///r", dataDirectory);

        assertThat(start).isEqualTo(new Daemons.AheadStart.Failed(runtime.resolve("walstash") + " has mode 755; it must be 700"));
        assertThat(started).doesNotExist();
    }
}
