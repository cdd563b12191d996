package io.walstash.cli;

import io.walstash.cli.daemon.DaemonSocketOption;
import io.walstash.core.archive.WalRequests;
import io.walstash.core.archive.WalService;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.spool.Spool;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "wal-push", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Archive one WAL file. Exits 0 only once it is durably stored.",
                "Use as archive_command = 'walstash wal-push %%p'. Re-pushing identical content exits 0;"
                        + " different content exits " + 4 + " and overwrites nothing.",
                "Also uploads, WALSTASH_UPLOAD_CONCURRENCY at once, up to WALSTASH_LOOKAHEAD (default 32) later"
                        + " segments PostgreSQL has marked ready, so its calls for them return at once.",
                "Storage requests are retried (WALSTASH_RETRIES, default 3) and time out (WALSTASH_REQUEST_TIMEOUT,"
                        + " default 120s). With a spool (--spool, WALSTASH_SPOOL), a segment storage cannot take is"
                        + " kept there durably (exit 0 with a warning) and drained to storage, in order, by later pushes."})
final class WalPushCommand implements Callable<Integer>, CommandOutcome.Reporting, OperationLog.Logged {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Mixin
    DaemonSocketOption daemon;

    @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file (PostgreSQL's %%p)")
    Path path;

    @Option(names = "--spool", paramLabel = "DIR",
            description = "Keep WAL here while storage is unreachable, drained later (WALSTASH_SPOOL; limit WALSTASH_SPOOL_MAX_SIZE, default 1GiB)")
    Path spool;

    private List<CommandOutcome.Problem> problems = List.of();
    private WalOutcome outcome;

    @Override
    public String subject() {
        return path == null ? null : OperationLog.fileName(path.toString());
    }

    @Override
    public Optional<WalOutcome> outcome() {
        return Optional.ofNullable(outcome);
    }

    @Override
    public List<CommandOutcome.Problem> problems() {
        return problems;
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> options = spool == null ? Map.of() : Map.of(CoreSettings.SPOOL.name(), spool.toString());
        try (WalRequests wal = WalService.open(config.load(options), VersionProvider.writer(), WalService.Mode.ONE_SHOT,
                err::println)) {
            outcome = WalOutcome.push(wal, path, started);
            err.println(outcome.message());
            problems = outcome.problem().map(p -> new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, p)).stream().toList();
        return outcome.exitCode();
        }
    }
}
