package io.walstash.cli;

import io.walstash.cli.daemon.DaemonSocketOption;
import io.walstash.core.archive.WalRequests;
import io.walstash.core.archive.WalService;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "wal-fetch", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Fetch one WAL file, verify its checksum, and place it at DEST.",
                "Use as restore_command = 'walstash wal-fetch %%f %%p'. Exits 74 when the archive has no such file."})
final class WalFetchCommand implements Callable<Integer>, CommandOutcome.Reporting, OperationLog.Logged {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Mixin
    DaemonSocketOption daemon;

    @Parameters(index = "0", paramLabel = "NAME", description = "WAL file name (PostgreSQL's %%f)")
    String name;

    @Parameters(index = "1", paramLabel = "DEST", description = "Where to place it (PostgreSQL's %%p)")
    Path destination;

    private List<CommandOutcome.Problem> problems = List.of();
    private WalOutcome outcome;

    @Override
    public String subject() {
        return name;
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
        PrintWriter err = spec.commandLine().getErr();
        try (WalRequests wal = WalService.open(config.load(), VersionProvider.writer(), WalService.Mode.ONE_SHOT,
                Optional.of(Launchers::prefetchWorker), err::println)) {
            outcome = WalOutcome.fetch(wal, name, destination);
        } catch (Exception e) {
            // a bad setting or a repository that cannot be opened must stop a recovery too
            outcome = WalOutcome.fetchFailure(e, name, destination, "the configured repository");
        }
        if (!outcome.message().isEmpty()) {
            err.println(outcome.message());
        }
        problems = outcome.problem().map(p -> new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, p)).stream().toList();
        return outcome.exitCode();
    }
}
