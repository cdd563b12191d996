package io.walstash.cli;

import io.walstash.core.archive.WalService;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The detached worker that wal-fetch starts through the launcher to fill the prefetch directory
 * while PostgreSQL replays; not meant to be run by hand, so hidden from help.
 */
@Command(name = Launchers.PREFETCH_WORKER, hidden = true, mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Download the WAL segments the latest wal-fetch wants into the prefetch directory, then exit.",
                "Started by wal-fetch; one worker per directory at a time."})
final class WalPrefetchCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--dir", required = true, paramLabel = "DIR",
            description = "The prefetch directory (<pg_wal>/.walstash-prefetch)")
    Path directory;

    @Override
    public Integer call() throws Exception {
        WalService.runPrefetchWorker(config.load(), VersionProvider.writer(), directory);
        return ExitCode.OK.code();
    }
}
