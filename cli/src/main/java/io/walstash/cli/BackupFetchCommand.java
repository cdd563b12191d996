package io.walstash.cli;

import io.walstash.core.backup.BackupFetch;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
        try (Storage storage = Storages.open(StorageLocation.configured(configuration), configuration.settings())) {
            BackupFetch fetcher = new BackupFetch(storage, Codecs.installed(), spec.commandLine().getErr());
            BackupManifest manifest = fetcher.fetch(name, fetch.options(destination, configuration));
            spec.commandLine().getErr().printf("walstash: restored %s into %s%n", manifest.name(), destination);
            return ExitCode.OK.code();
        }
    }

    /** Options backup-fetch and restore share. */
    static final class FetchOptions {
        @Option(names = "--force", description = "Replace the contents of a non-empty DEST (and of the --tablespace-map"
                + " and --waldir directories); never of a directory only the backup's manifest names")
        boolean force;

        @Option(names = "--tablespace-map", paramLabel = "OID=DIR",
                description = "Restore tablespace OID into DIR (repeatable); every tablespace needs one unless"
                        + " --tablespaces-from-manifest")
        List<String> tablespaceMap = List.of();

        @Option(names = "--tablespaces-from-manifest",
                description = "Restore tablespaces without a --tablespace-map to the locations the manifest names (trusts"
                        + " the repository with those paths; each must be missing or empty, even with --force)")
        boolean tablespacesFromManifest;

        @Option(names = "--waldir", paramLabel = "DIR",
                description = "Put pg_wal in DIR and make DEST/pg_wal a link to it (as initdb --waldir); by default"
                        + " pg_wal is a directory in DEST")
        Path walDirectory;

        BackupFetch.Options options(Path destination, Configuration configuration) {
            Map<String, Path> map = new HashMap<>();
            for (String mapping : tablespaceMap) {
                int eq = mapping.indexOf('=');
                if (eq <= 0 || !mapping.substring(0, eq).matches("\\d+") || eq == mapping.length() - 1) {
                    throw new IllegalArgumentException("--tablespace-map takes OID=DIR, not " + mapping);
                }
                map.put(mapping.substring(0, eq), Path.of(mapping.substring(eq + 1)));
            }
            int concurrency = BackupPushCommand.intSetting(configuration.settings(), "WALSTASH_DOWNLOAD_CONCURRENCY", 4);
            return new BackupFetch.Options(destination, force, map, Math.max(1, concurrency), walDirectory,
                    tablespacesFromManifest);
        }
    }
}
