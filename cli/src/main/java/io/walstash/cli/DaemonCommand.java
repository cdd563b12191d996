package io.walstash.cli;

import io.walstash.core.archive.WalService;
import io.walstash.core.config.Configuration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "daemon", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Serve wal-push and wal-fetch from a long-running process, storage client kept warm.",
                "Listens on a Unix socket only this OS user can connect to; wal-push and wal-fetch with"
                        + " WALSTASH_DAEMON_SOCKET set hand their request to it and work alone when it does not answer.",
                "Stops on SIGTERM after the requests in flight (at most 30 s), removing the socket."})
final class DaemonCommand implements Callable<Integer> {
    /** How often an idle daemon tries to drain the spool. */
    static final Duration SPOOL_DRAIN_INTERVAL = Duration.ofSeconds(30);

    @Mixin
    ConfigOptions config;

    @Option(names = "--socket", paramLabel = "PATH", description = "The Unix socket to listen on (WALSTASH_DAEMON_SOCKET)")
    Path socket;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "8",
            description = "Requests served at once, default ${DEFAULT-VALUE}")
    int threads;

    @Override
    public Integer call() throws Exception {
        Configuration configuration = config.load();
        Path path = socket != null ? socket : configuration.settings().get(DaemonClient.SOCKET).map(Path::of)
                .orElseThrow(() -> new IllegalArgumentException("no socket: pass --socket or set " + DaemonClient.SOCKET));
        WalService wal = WalService.open(configuration, VersionProvider.writer(), WalService.Mode.DAEMON);
        DaemonServer server = DaemonServer.start(path, wal, configuration, threads, System.err);
        ScheduledExecutorService drainer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "walstash-daemon-spool");
            thread.setDaemon(true);
            return thread;
        });
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
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    System.err.println("walstash daemon: " + WalOutcome.failure(e).message());
                }
            }, "walstash-daemon-stop"));
            System.err.println("walstash daemon: serving " + configuration.storage() + " on " + server.socket()
                    + " with " + threads + " threads");
            server.serve();
        } finally {
            drainer.shutdownNow();
        }
        return ExitCode.OK.code();
    }
}
