package io.walstash.cli;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.Settings;
import io.walstash.core.receive.ReceiveSettings;
import io.walstash.core.receive.WalReceiver;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "wal-receive", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Stream WAL from PostgreSQL over the replication protocol into the repository, until stopped.",
                "Connects with PGHOST, PGPORT, PGUSER, PGPASSWORD (a role with REPLICATION) to a primary or a standby;"
                        + " streams from a physical slot (--slot, created with RESERVE_WAL when missing).",
                "The open segment is stored as a partial at most --sync-interval after its WAL arrived (or every"
                        + " --sync-size); the slot advances only after storage acknowledged it. A completed segment is"
                        + " stored as wal-push stores it; wal-fetch serves the newest partial at the end of the archive.",
                "Reconnects with backoff after failures; exits 14 when another receiver holds the slot."})
final class WalReceiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Option(names = "--slot", paramLabel = "NAME", description = "Physical replication slot (WALSTASH_RECEIVE_SLOT, default walstash)")
    String slot;

    @Option(names = "--sync-interval", paramLabel = "DURATION",
            description = "Store received WAL at most this long after it arrived (WALSTASH_RECEIVE_SYNC_INTERVAL, default 1s)")
    String syncInterval;

    @Option(names = "--sync-size", paramLabel = "SIZE",
            description = "... or once this much arrived (WALSTASH_RECEIVE_SYNC_SIZE, default 8MiB)")
    String syncSize;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> options = new HashMap<>();
        if (slot != null) {
            options.put(ReceiveSettings.SLOT.name(), slot);
        }
        if (syncInterval != null) {
            options.put(ReceiveSettings.SYNC_INTERVAL.name(), syncInterval);
        }
        if (syncSize != null) {
            options.put(ReceiveSettings.SYNC_SIZE.name(), syncSize);
        }
        Configuration configuration = config.load(options);
        Settings settings = configuration.settings();
        WalReceiver.Options receive = new WalReceiver.Options(ReceiveSettings.SLOT.get(settings),
                ReceiveSettings.SYNC_INTERVAL.get(settings), ReceiveSettings.SYNC_SIZE.get(settings),
                ReceiveSettings.RECONNECT_MAX.get(settings));
        WalReceiver.Connections connections = new WalReceiver.Connections() {
            @Override
            public Connection sql() throws SQLException {
                return PostgresConnection.open(settings);
            }

            @Override
            public Connection replication() throws SQLException {
                return PostgresConnection.openReplication(settings);
            }
        };
        try (WalArchive archive = WalArchive.open(configuration, VersionProvider.writer())) {
            // runs until stopped (SIGTERM ends the JVM: whatever was not stored, the slot still holds)
            new WalReceiver(archive, connections, receive, err, Clock.systemUTC()).run();
        }
        return ExitCode.OK.code();
    }
}
