package io.walstash.cli;

import io.walstash.core.archive.PushResult;
import io.walstash.core.archive.WalArchive;
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
                "Use as archive_command = 'walstash wal-push %p'. Re-pushing identical content exits 0;"
                        + " different content exits " + 4 + " and overwrites nothing."})
final class WalPushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Parameters(index = "0", paramLabel = "PATH", description = "The WAL file (PostgreSQL's %p)")
    Path path;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        PrintWriter err = spec.commandLine().getErr();
        try (WalArchive archive = WalArchive.open(config.load(), VersionProvider.writer())) {
            PushResult result = archive.push(path);
            long millis = (System.nanoTime() - started) / 1_000_000;
            if (result instanceof PushResult.Archived archived) {
                err.printf("walstash: archived %s (%d bytes, %d stored) in %d ms%n",
                        archived.key(), archived.plainBytes(), archived.storedBytes(), millis);
                return ExitCode.OK.code();
            }
            if (result instanceof PushResult.AlreadyArchived already) {
                err.printf("walstash: %s is already archived with identical content%n", already.key());
                return ExitCode.OK.code();
            }
            PushResult.Conflict conflict = (PushResult.Conflict) result;
            err.printf("walstash: error: %s is already archived with DIFFERENT content; refusing to overwrite (%s)%n",
                    conflict.key(), conflict.detail());
            return ExitCode.CONFLICT.code();
        }
    }
}
