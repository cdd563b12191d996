package io.walstash.cli;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The launcher the build made (cli/target/walstash/bin/walstash), run as a separate process like PostgreSQL runs it. */
public final class Launcher {
    private Launcher() {
    }

    private static Path copied;

    /**
     * The launcher, copied with its lib/ folder to a world-readable temporary directory: that proves
     * the folder is relocatable, and lets the unprivileged PostgreSQL user run it even when the
     * build lives under a directory only root can enter (such as /root).
     */
    public static synchronized Path path() throws IOException {
        if (copied != null) {
            return copied;
        }
        String configured = System.getProperty("walstash.launcher");
        Path launcher = configured != null ? Path.of(configured) : Path.of("target/walstash/bin/walstash");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("no launcher at " + launcher.toAbsolutePath() + "; run mvn package first");
        }
        Path home = launcher.toAbsolutePath().getParent().getParent();
        Path target = Files.createTempDirectory("walstash-launcher-");
        Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        FileTrees.copy(home, target);
        // gone with this JVM (about 90 MB a copy; every test run made one and left it in /tmp)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                FileTrees.delete(target);
            } catch (IOException e) {
                System.err.println("could not remove the launcher copy " + target + ": " + e.getMessage());
            }
        }, "remove-launcher-copy"));
        copied = target.resolve("bin/walstash");
        return copied;
    }

    /**
     * Stops every process working under {@code directory} (its cwd there): auto daemons (those of
     * clusters a test started there with a restore_command that {@code walstash restore} wrote live
     * on for their idle time, since PostgreSQL's environment leaves WALSTASH_DAEMON unset), and the
     * prefetch workers that wal-fetch starts detached, which may still be writing into a restored
     * cluster's pg_wal after PostgreSQL stopped. SIGTERM first (a daemon removes its socket on the
     * way out), then SIGKILL after a bounded wait.
     */
    public static void stopProcessesWorkingUnder(Path directory) throws Exception {
        Path root = directory.toRealPath();
        long self = ProcessHandle.current().pid();
        List<ProcessHandle> working = ProcessHandle.allProcesses().filter(p -> p.pid() != self).filter(p -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "cwd")).startsWith(root);
            } catch (IOException | SecurityException e) {
                return false; // exited meanwhile, or a kernel thread
            }
        }).toList();
        working.forEach(ProcessHandle::destroy);
        for (ProcessHandle process : working) {
            try {
                process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                process.destroyForcibly();
                process.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    /** A mutable environment for the launcher: a file:// repository and libpq variables reaching {@code cluster} as postgres. */
    static Map<String, String> libpqEnvironment(Path repository, io.walstash.core.postgres.LocalCluster cluster) {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("WALSTASH_STORAGE", "file://" + repository);
        env.put("PGHOST", "127.0.0.1");
        env.put("PGPORT", Integer.toString(cluster.port()));
        env.put("PGUSER", "postgres");
        env.put("PGDATABASE", "postgres");
        return env;
    }

    /** Runs the launcher with {@code arguments}, optionally as the cluster's OS user; returns exit code and output. */
    public static Processes.Outcome run(OsUser user, Map<String, String> environment, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(path().toString());
        command.addAll(List.of(arguments));
        return Processes.runAllowingFailure(user.wrap(command), withCache(environment), Duration.ofMinutes(10));
    }

    /**
     * Where the launcher keeps its own folder's class-data archives when XDG_CACHE_HOME is
     * {@code cache}: under walstash/cds, at the folder's real path.
     */
    public static Path classDataArchives(Path cache) throws IOException {
        Path home = path().getParent().getParent();
        return cache.resolve("walstash/cds").resolve(home.toRealPath().toString().substring(1));
    }

    /**
     * {@code environment}, with the launcher's class-data sharing archives kept beside the copied
     * launcher (unless the test chooses where) rather than in the user's ~/.cache, which would
     * gather one archive per temporary copy, and without the auto daemon unless the test asks for it.
     */
    public static Map<String, String> withCache(Map<String, String> environment) throws IOException {
        Map<String, String> withCache = new java.util.HashMap<>(environment);
        withCache.putIfAbsent("XDG_CACHE_HOME", path().getParent().getParent().resolve("cache").toString());
        // a test about something else must not leave an auto daemon behind; the daemon's tests say so
        withCache.putIfAbsent("WALSTASH_DAEMON", "off");
        return withCache;
    }
}
