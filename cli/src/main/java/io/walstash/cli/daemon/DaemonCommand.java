package io.walstash.cli.daemon;

import io.walstash.cli.CliSettings;
import io.walstash.cli.ConfigOptions;
import io.walstash.cli.ExitCode;
import io.walstash.cli.VersionProvider;
import io.walstash.cli.WalOutcome;
import io.walstash.core.archive.WalService;
import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.storage.StorageLocation;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "daemon", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Serve wal-push and wal-fetch from a long-running process, storage client kept warm.",
                "Listens on a Unix socket only this OS user can connect to; wal-push and wal-fetch with"
                        + " WALSTASH_DAEMON_SOCKET set hand their request to it and work alone when it does not answer.",
                "Without WALSTASH_DAEMON_SOCKET, wal-push and wal-fetch start a daemon of their own when none answers"
                        + " (WALSTASH_DAEMON=auto, the default); it stops after WALSTASH_DAEMON_IDLE (default 2m) without a request.",
                "Stops on SIGTERM after the requests in flight (at most 30 s), removing the socket."})
public final class DaemonCommand implements Callable<Integer> {
    /** How often an idle daemon tries to drain the spool. */
    static final Duration SPOOL_DRAIN_INTERVAL = Duration.ofSeconds(30);
    /** An auto daemon's log is emptied when it starts above this size. */
    static final long LOG_LIMIT = 1 << 20;

    @Mixin
    ConfigOptions config;

    @Option(names = "--socket", paramLabel = "PATH", description = "The Unix socket to listen on (WALSTASH_DAEMON_SOCKET)")
    Path socket;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "8",
            description = "Requests served at once, default ${DEFAULT-VALUE}")
    int threads;

    @Option(names = "--auto", hidden = true,
            description = "Serve as the auto daemon of this configuration (started by wal-push and wal-fetch)")
    boolean auto;

    @Override
    public Integer call() throws Exception {
        Configuration configuration = config.load();
        if (auto) {
            return serveAuto(configuration);
        }
        Path path = socket != null ? socket : CliSettings.DAEMON_SOCKET.find(configuration.settings()).map(Path::of)
                .orElseThrow(() -> new IllegalArgumentException("no socket: pass --socket or set " + DaemonClient.SOCKET));
        WalService wal = WalService.open(configuration, VersionProvider.writer(), WalService.Mode.DAEMON);
        warmUp(wal, configuration);
        serve(DaemonServer.start(path, wal, configuration, threads, System.err), wal, configuration);
        return ExitCode.OK.code();
    }

    /**
     * The auto daemon: the socket of this process's configuration in the private runtime directory,
     * held under a lock for the daemon's whole life (the kernel releases it however the process ends),
     * so that two starts racing leave one daemon. Removes the start marker once it listens or gave up.
     */
    private int serveAuto(Configuration configuration) throws IOException {
        Map<String, String> environment = System.getenv();
        String workingDirectory = System.getProperty("user.dir");
        String configFile = config.configFile != null ? config.configFile
                : Optional.ofNullable(environment.get(CoreSettings.CONFIG_FILE.name())).filter(s -> !s.isBlank()).map(String::strip).orElse(null);
        SortedMap<String, String> settings = AutoDaemon.settings(
                AutoDaemon.withOptions(environment, config.storage, config.compression), configFile, workingDirectory);
        Path path = AutoDaemon.socket(environment, workingDirectory, settings);
        Duration idle = CliSettings.DAEMON_IDLE.get(configuration.settings());
        try (FileChannel lockFile = FileChannel.open(AutoDaemon.lock(path), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
             FileLock lock = lockFile.tryLock()) {
            if (lock == null) {
                System.err.println("walstash daemon: another daemon serves this configuration on " + path + "; exiting");
                return ExitCode.OK.code();
            }
            Path log = AutoDaemon.log(path);
            if (Files.exists(log) && Files.size(log) > LOG_LIMIT) {
                try (FileChannel truncated = FileChannel.open(log, StandardOpenOption.WRITE)) {
                    truncated.truncate(0);
                }
            }
            WalService wal = WalService.open(configuration, VersionProvider.writer(), WalService.Mode.DAEMON);
            warmUp(wal, configuration);
            DaemonServer server = DaemonServer.start(path, wal, configuration, threads, DaemonServer.REQUEST_TIMEOUT,
                    System.err, new DaemonServer.Policy(Optional.of(settings), Optional.of(idle)));
            Files.deleteIfExists(AutoDaemon.startMarker(path));
            serve(server, wal, configuration);
            return ExitCode.OK.code();
        } finally {
            Files.deleteIfExists(AutoDaemon.startMarker(path));
        }
    }

    /**
     * Opens storage on a thread of its own while the daemon starts listening (see {@link WalService#warmUp});
     * one line in the daemon's log says how long storage took or why it did not answer.
     */
    static void warmUp(WalService wal, Configuration configuration) {
        ThreadPools.thread("walstash-daemon-warm-up", () -> {
            long started = System.nanoTime();
            try {
                wal.warmUp();
                System.err.println("walstash daemon: storage " + StorageLocation.configured(configuration) + " answered in "
                        + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms");
            } catch (Exception e) {
                System.err.println("walstash daemon: storage did not answer yet (the next request tries again): "
                        + WalOutcome.failure(e).message());
            }
        }, ThreadPools.Kind.DAEMON).start();
    }

    private void serve(DaemonServer server, WalService wal, Configuration configuration) throws IOException {
        ThreadPools threadPools = new ThreadPools();
        ScheduledExecutorService drainer = threadPools.ownedScheduled("walstash-daemon-spool");
        // Pushes drain the spool before their own upload; between pushes (a quiet database) the
        // daemon does, so that spooled WAL reaches storage soon after storage answers again.
        drainer.scheduleWithFixedDelay(() -> {
            try {
                wal.drainSpool();
            } catch (Exception e) {
                System.err.println("walstash daemon: " + WalOutcome.failure(e).message());
            }
        }, SPOOL_DRAIN_INTERVAL.toSeconds(), SPOOL_DRAIN_INTERVAL.toSeconds(), TimeUnit.SECONDS);
        try (server) {
            // SIGTERM (systemctl stop) runs the hooks: the server drains and removes its socket.
            Runtime.getRuntime().addShutdownHook(ThreadPools.thread("walstash-daemon-stop", () -> {
                try {
                    server.close();
                } catch (Exception e) {
                    System.err.println("walstash daemon: " + WalOutcome.failure(e).message());
                }
            }, ThreadPools.Kind.NON_DAEMON));
            System.err.println("walstash daemon: serving " + StorageLocation.configured(configuration) + " on " + server.socket()
                    + " with " + threads + " threads");
            server.serve();
        } finally {
            threadPools.close();
        }
    }
}
