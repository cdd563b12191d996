package io.walstash.cli;

import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command that touches a repository shares; they override the environment. */
public final class ConfigOptions {
    @Option(names = "--storage", paramLabel = "URI",
            description = "Repository location: file:///path (default from WALSTASH_STORAGE or WAL-G's WALG_*_PREFIX)")
    public String storage;

    @Option(names = "--compression", paramLabel = "CODEC",
            description = "Codec for new objects: zstd (default), lz4, gzip, xz, lzma, brotli, none (WALSTASH_COMPRESSION, WALG_COMPRESSION_METHOD)")
    public String compression;

    @Option(names = "--config", paramLabel = "FILE",
            description = "A NAME=value file (a WAL-G .env works), read after options and environment (WALSTASH_CONFIG)")
    public String configFile;

    public Configuration load() throws IOException {
        return load(Map.of());
    }

    /** As {@link #load()}, with a command's own options (keyed by their variable names) added. */
    Configuration load(Map<String, String> commandOptions) throws IOException {
        Map<String, String> options = new HashMap<>(commandOptions);
        if (storage != null) {
            options.put(CoreSettings.STORAGE.name(), storage);
        }
        if (compression != null) {
            options.put(CoreSettings.COMPRESSION.name(), compression);
        }
        if (configFile != null) {
            options.put(CoreSettings.CONFIG_FILE.name(), configFile);
        }
        return Configuration.load(options, System.getenv());
    }

    /** The one place a command opens the storage its configuration names; the caller closes it. */
    Storage open(Configuration configuration) throws IOException {
        return Storages.open(StorageLocation.configured(configuration), configuration.settings());
    }
}
