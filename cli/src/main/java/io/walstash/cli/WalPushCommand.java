package io.walstash.cli;

import io.walstash.core.archive.WalRequests;
import io.walstash.core.archive.WalService;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "wal-push", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Archive one WAL file. Exits 0 only once it is durably stored.",
                "Use as archive_command = 'walstash wal-push %%p'. Re-pushing identical content exits 0;"
                        + " different content exits " + 4 + " and overwrites nothing."})
final class WalPushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Mixin
    DaemonSocketOption daemon;

    @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file (PostgreSQL's %%p)")
    Path path;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        PrintWriter err = spec.commandLine().getErr();
        try (WalRequests wal = WalService.open(config.load(), VersionProvider.writer(), WalService.Mode.ONE_SHOT)) {
            WalOutcome outcome = WalOutcome.push(wal, path, started);
            err.println(outcome.message());
            return outcome.exitCode();
        }
    }
}
