package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.backup.BackupFetch;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "backup-fetch", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Restore base backup NAME (or LATEST) into the empty directory DEST.",
                "Applies the delta chain, checks every object's SHA-256 before using it, writes global/pg_control last;",
                "on failure removes what it wrote. Downloads WALSTASH_DOWNLOAD_CONCURRENCY (WALG_DOWNLOAD_CONCURRENCY,",
                "default 4) files at a time. To start the server from it, use restore, which adds the recovery settings."})
final class BackupFetchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Mixin
    FetchOptions fetch;

    @Parameters(index = "0", paramLabel = "DEST", description = "Directory to restore into (created if missing)")
    Path destination;

    @Parameters(index = "1", paramLabel = "NAME", description = "Backup name, or LATEST")
    String name;

    @Override
    public Integer call() throws Exception {
        Configuration configuration = config.load();
        try (Storage storage = config.open(configuration)) {
            BackupFetch fetcher = new BackupFetch(storage, Codecs.installed(), spec.commandLine().getErr(),
                    ProgressLine.forStderr(spec.commandLine().getErr(), configuration.settings()));
            BackupManifest manifest = fetcher.fetch(name, fetch.options(destination, configuration));
            spec.commandLine().getErr().printf("walstash: restored %s into %s%n", manifest.name(), destination);
            return ExitCode.OK.code();
        }
    }
}
