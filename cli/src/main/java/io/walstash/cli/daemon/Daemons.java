package io.walstash.cli.daemon;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the rest of the command line uses of the daemon: serve a {@code wal-push} or {@code wal-fetch}
 * through a daemon when one answers (or, as the auto daemon, starts), otherwise say so and let the
 * command work alone; and start the auto daemon ahead of a recovery that restore sets up. The {@code daemon} verb ({@link DaemonCommand}) and wal-push's and wal-fetch's
 * {@code --daemon-socket} ({@link DaemonSocketOption}) are this package's other public parts; the
 * server, the wire protocol, the clients and the auto daemon's runtime files stay inside it.
 */
public final class Daemons {
    /** Returned by {@link #serve} when no daemon served the request: the command works alone. */
    public static final int NOT_SERVED = DaemonClient.NOT_SERVED;

    private Daemons() {
    }

    /**
     * Serves the command line {@code args} through a daemon if it is a wal-push or wal-fetch a daemon
     * can take and one answers; returns its exit code (its message printed on {@code err}), or
     * {@link #NOT_SERVED}. Runs before picocli, Jackson or a storage SDK is loaded.
     */
    public static int serve(String[] args, Map<String, String> environment, PrintStream err) {
        return DaemonClient.serve(args, environment, err);
    }

    /** What {@link #startAhead} did. */
    public sealed interface AheadStart {
        /** A daemon is starting on this socket. */
        record Started(Path socket) implements AheadStart {
        }

        /** One answers on this socket already (or another call is starting it). */
        record Running(Path socket) implements AheadStart {
        }

        /** Not one to start: the daemon is off, a socket is configured, or there is no launcher. */
        record Skipped(String why) implements AheadStart {
        }

        /** It could not be started (the runtime directory refused, a failed start): the first call tries again. */
        record Failed(String why) implements AheadStart {
        }
    }

    /**
     * Starts the auto daemon that {@code wal-fetch --storage STORAGE [--config CONFIG_FILE] %f %p} will
     * ask when PostgreSQL runs it in {@code dataDirectory} (its real path, as the server's working
     * directory is) with {@code environment} and {@code inFront}, the settings its command line sets
     * in front of it; so that a recovery's first call finds the daemon up and its storage opened.
     *
     * @param configFile the config file the command line passes, or null
     */
    public static AheadStart startAhead(Map<String, String> environment, Map<String, String> inFront, String configFile,
                                        String storage, Path dataDirectory) {
        return DaemonClient.startAhead(environment, inFront, configFile, storage, dataDirectory);
    }
}
