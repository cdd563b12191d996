package io.walstash.cli;

import io.walstash.core.postgres.OsUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A private runtime directory (XDG_RUNTIME_DIR) for the auto daemons a test's launchers start, so
 * that they are found and stopped afterwards instead of idling on after the test.
 */
public record AutoDaemonRuntime(Path directory) {

    /** Creates {@code directory} (0700, owned by {@code user}, as the launcher demands). */
    public static AutoDaemonRuntime create(Path directory, OsUser user) throws IOException {
        Files.createDirectory(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        user.own(directory);
        return new AutoDaemonRuntime(directory);
    }

    /** What a launcher's environment gets to use this directory. */
    public String environment() {
        return "XDG_RUNTIME_DIR=" + directory;
    }

    /** The auto daemons started with this directory as XDG_RUNTIME_DIR (read from /proc, as root may). */
    public List<ProcessHandle> daemons() {
        String marker = environment();
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("daemon --auto"))
                .filter(p -> {
                    try {
                        byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "environ"));
                        return List.of(new String(environ, StandardCharsets.UTF_8).split("\0")).contains(marker);
                    } catch (IOException e) {
                        return false; // gone meanwhile
                    }
                }).toList();
    }

    /** Kills this directory's daemons and waits (bounded) until they are gone. */
    public void stopDaemons() throws InterruptedException, ExecutionException, TimeoutException {
        for (ProcessHandle daemon : daemons()) {
            daemon.destroyForcibly();
            daemon.onExit().get(30, TimeUnit.SECONDS);
        }
    }
}
