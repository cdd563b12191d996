package io.walstash.cli.daemon;

import java.io.PrintStream;
import java.util.Map;

/**
 * What the rest of the command line uses of the daemon: serve a {@code wal-push} or {@code wal-fetch}
 * through a daemon when one answers (or, as the auto daemon, starts), otherwise say so and let the
 * command work alone. The {@code daemon} verb ({@link DaemonCommand}) and wal-push's and wal-fetch's
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
}
