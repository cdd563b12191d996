package io.walstash.cli;

import io.walstash.cli.daemon.Daemons;

/** Entry point of the {@code walstash} launcher. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        // First, before picocli, Jackson or a storage SDK is loaded: a running daemon may answer at
        // a fraction of the cost of this JVM serving the request itself.
        // The launcher says when its own fast path already asked the daemon in vain.
        int served = Boolean.getBoolean("walstash.daemon.tried") ? Daemons.NOT_SERVED
                : Daemons.serve(args, System.getenv(), System.err);
        if (served != Daemons.NOT_SERVED) {
            System.exit(served);
        }
        System.exit(WalstashCommand.execute(args));
    }
}
