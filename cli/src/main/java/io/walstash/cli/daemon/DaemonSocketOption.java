package io.walstash.cli.daemon;

import picocli.CommandLine.Option;

/**
 * wal-push's and wal-fetch's {@code --daemon-socket}. {@link DaemonClient} acts on it before picocli
 * runs; when the command reaches picocli the daemon did not answer, and the option is only accepted.
 */
public final class DaemonSocketOption {
    @Option(names = DaemonClient.SOCKET_OPTION, paramLabel = "PATH",
            description = "Ask the walstash daemon listening on this Unix socket first (WALSTASH_DAEMON_SOCKET);"
                    + " used only without --storage/--compression, and the command works alone when no daemon answers")
    String socket;
}
