package io.walstash.cli;

import io.walstash.cli.daemon.Daemons;
import io.walstash.core.config.Settings;
import io.walstash.core.crypto.CipherWarmup;

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
        // This JVM does the work: with a master key in the environment, the ciphers' one-time
        // set-up runs beside picocli's and the configuration's instead of after them.
        if (CipherWarmup.keyNamedIn(Settings.of(System.getenv()))) {
            CipherWarmup.start();
        }
        int code = WalstashCommand.execute(args);
        if (code == 0) {
            ClassDataPreload.load(System.getProperty(ClassDataPreload.PROPERTY));
        }
        System.exit(code);
    }
}
