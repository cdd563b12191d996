package io.walstash.cli;

import io.walstash.cli.daemon.DaemonCommand;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "walstash", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "PostgreSQL continuous archiving and point-in-time recovery to object storage.",
        subcommands = {WalPushCommand.class, WalFetchCommand.class, WalPrefetchCommand.class,
                BackupPushCommand.class, BackupFetchCommand.class,
                RestoreCommand.class, BackupListCommand.class, BackupMarkCommand.class, DeleteCommand.class, WalVerifyCommand.class,
                BackupVerifyCommand.class, CheckCommand.class, StatusCommand.class,
                DaemonCommand.class, DemoCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nConfiguration (options, then environment, then --config/WALSTASH_CONFIG file):%n",
        footer = {
                "  WALSTASH_STORAGE      repository URI, e.g. file:///var/lib/walstash",
                "                        WAL-G aliases: WALG_FILE_PREFIX (a path),",
                "                        WALG_S3_PREFIX, WALG_GS_PREFIX, WALG_AZ_PREFIX",
                "  WALSTASH_COMPRESSION  zstd (default), lz4, gzip, xz, lzma, brotli, none",
                "                        WAL-G alias: WALG_COMPRESSION_METHOD",
                "  WALSTASH_DELTA_MAX_STEPS       deltas after a full backup, 0 = always full (WALG_DELTA_MAX_STEPS)",
                "  WALSTASH_DELTA_ORIGIN          LATEST (default) or LATEST_FULL: what a delta is taken against",
                "  WALSTASH_UPLOAD_CONCURRENCY    files read and stored at once by backup-push and wal-push, default 4",
                "  WALSTASH_LOOKAHEAD             ready segments one wal-push uploads ahead, default 32, 0 = off",
                "  WALSTASH_SPOOL                 wal-push: local directory for WAL while storage is unreachable",
                "  WALSTASH_SPOOL_MAX_SIZE        the spool's limit, default 1GiB (sizes like 512MiB)",
                "  WALSTASH_RETRIES               retries of a failed storage request (every command, push",
                "                                 and fetch alike), default 3 (backoff from",
                "                                 WALSTASH_RETRY_BASE, default 1s, doubling to 30s, jitter)",
                "  WALSTASH_REQUEST_TIMEOUT       the most one storage request may take, default 120s",
                "  WALSTASH_DOWNLOAD_CONCURRENCY  files fetched at once by backup-fetch and restore, and WAL",
                "                                 segments wal-fetch prefetches ahead (0 = none), default 4",
                "  WALSTASH_FETCH_ATTEMPTS        deprecated: wal-fetch tries; use WALSTASH_RETRIES (+1)",
                "  WALSTASH_FETCH_TIMEOUT         deprecated: wal-fetch seconds per try; use WALSTASH_REQUEST_TIMEOUT",
                "  WALSTASH_S3_MAX_RETRIES, WALSTASH_GCS_MAX_RETRIES, WALSTASH_AZURE_MAX_RETRIES",
                "                                 the SDK's own retries inside each try (5, 5, 3); 0 = one layer",
                "  WALSTASH_BACKUP_STOP_TIMEOUT   seconds pg_backup_stop may wait for archiving, default 600",
                "  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  backup-push's connection (libpq defaults);",
                "                        status reads pg_stat_archiver when PGHOST or PGPORT is set",
                "  WALSTASH_NOTIFY_WEBHOOK  URL (a secret, never printed) sent a JSON message when",
                "                        wal-push, backup-push, wal-verify or backup-verify fails,",
                "                        or status finds a threshold crossed",
                "  WALSTASH_NOTIFY_TIMEOUT  bound on the webhook's connect and answer, default 3s",
                "  WALSTASH_CONFIG       a NAME=value file; a WAL-G .env works unchanged",
                "  WALSTASH_LOG_LEVEL    debug adds stack traces to errors (WALG_LOG_LEVEL)",
                "  WALSTASH_DAEMON       auto (default): wal-push/wal-fetch ask the daemon of their",
                "                        configuration, starting it when none answers; off; required",
                "  WALSTASH_DAEMON_IDLE  an auto daemon exits after this long without a request, default 2m",
                "  WALSTASH_DAEMON_WAIT  how long the call that starts it waits for it, default 3s",
                "  WALSTASH_DAEMON_SOCKET  wal-push/wal-fetch ask the daemon listening here first",
                "                        (walstash daemon); without an answer they work alone",
                "  WALSTASH_JAVA_OPTS    extra JVM options for the launcher",
                "  WALSTASH_NATIVE_CLIENT  off: reach the daemon through the JVM, not bin/walstash-client",
                "  WALSTASH_CDS          off: no class-data sharing archive in ~/.cache/walstash",
                "  PG_BIN                PostgreSQL binaries for demo",
                "",
                "PostgreSQL:",
                "  archive_command = '/path/to/walstash/bin/walstash wal-push %%p'",
                "  restore_command = '/path/to/walstash/bin/walstash wal-fetch %%f %%p'"})
final class WalstashCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** The failures the exception handlers reported during the last execution, for notifications. */
    private final List<CommandOutcome.Problem> raised = new ArrayList<>();

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is required; see walstash --help");
    }

    /** Runs the command line and returns the exit code; every failure becomes one line on stderr. */
    static int execute(String[] args) {
        return execute(commandLine(), args);
    }

    /**
     * Runs {@code commandLine}; a failed wal-push, backup-push, wal-verify, backup-verify or an
     * unhealthy status is then sent to the configured webhook (bounded, never changing the code).
     */
    static int execute(CommandLine commandLine, String[] args) {
        WalstashCommand root = commandLine.getCommand();
        root.raised.clear();
        int code = commandLine.execute(args);
        Notifications.afterRun(commandLine, code, List.copyOf(root.raised), commandLine.getErr());
        return code;
    }

    static CommandLine commandLine() {
        WalstashCommand root = new WalstashCommand();
        CommandLine commandLine = new CommandLine(root);
        applyExitCodeHelp(commandLine);
        commandLine.setExecutionExceptionHandler((failure, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            WalOutcome outcome = WalOutcome.failure(failure);
            err.println(outcome.message());
            outcome.problem().ifPresent(p -> root.raised.add(new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, p)));
            if (isDebug()) {
                failure.printStackTrace(err);
            }
            err.flush();
            return outcome.exitCode();
        });
        commandLine.setParameterExceptionHandler((failure, args) -> {
            PrintWriter err = failure.getCommandLine().getErr();
            err.println("walstash: error: " + failure.getMessage());
            root.raised.add(new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, failure.getMessage()));
            err.println("Try '" + failure.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            err.flush();
            return ExitCode.USAGE.code();
        });
        return commandLine;
    }

    private static void applyExitCodeHelp(CommandLine commandLine) {
        commandLine.getCommandSpec().usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCode.helpSection());
        commandLine.getSubcommands().values().forEach(WalstashCommand::applyExitCodeHelp);
    }

    private static boolean isDebug() {
        String level = System.getenv("WALSTASH_LOG_LEVEL");
        if (level == null) {
            level = System.getenv("WALG_LOG_LEVEL");
        }
        return level != null && level.strip().equalsIgnoreCase("debug");
    }
}
