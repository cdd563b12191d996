package io.walstash.cli;

import io.walstash.core.backup.BackupFetch;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options backup-fetch and restore share. */
final class FetchOptions {
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
        int concurrency = CoreSettings.DOWNLOAD_CONCURRENCY.get(configuration.settings());
        return new BackupFetch.Options(destination, force, map, Math.max(1, concurrency), walDirectory,
                tablespacesFromManifest);
    }
}
