package io.walstash.core.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * walstash's configuration, merged from command-line options, then environment variables, then
 * an optional config file ({@code --config} or {@code WALSTASH_CONFIG}). WAL-G's variable names
 * are accepted as aliases so that an existing WAL-G {@code .env} works unchanged; within one
 * source, walstash's own name wins over an alias.
 */
public final class Configuration {
    public static final String STORAGE = "WALSTASH_STORAGE";
    public static final String COMPRESSION = "WALSTASH_COMPRESSION";
    public static final String CONFIG_FILE = "WALSTASH_CONFIG";
    public static final String LOG_LEVEL = "WALSTASH_LOG_LEVEL";
    public static final String DEFAULT_COMPRESSION = "zstd";

    /** walstash names and the WAL-G names accepted for them, in the order they are consulted. */
    public static final Map<String, List<String>> ALIASES = Map.of(
            STORAGE, List.of("WALG_S3_PREFIX", "WALG_GS_PREFIX", "WALG_AZ_PREFIX", "WALG_FILE_PREFIX"),
            COMPRESSION, List.of("WALG_COMPRESSION_METHOD"),
            LOG_LEVEL, List.of("WALG_LOG_LEVEL"),
            "WALSTASH_UPLOAD_CONCURRENCY", List.of("WALG_UPLOAD_CONCURRENCY"),
            "WALSTASH_DOWNLOAD_CONCURRENCY", List.of("WALG_DOWNLOAD_CONCURRENCY"),
            "WALSTASH_DELTA_MAX_STEPS", List.of("WALG_DELTA_MAX_STEPS"),
            "WALSTASH_DELTA_ORIGIN", List.of("WALG_DELTA_ORIGIN"));

    private record Source(String description, Map<String, String> values) {
        Optional<String> get(String name) {
            return Optional.ofNullable(values.get(name)).map(String::strip).filter(v -> !v.isEmpty());
        }
    }

    private final List<Source> sources;

    private Configuration(List<Source> sources) {
        this.sources = List.copyOf(sources);
    }

    /**
     * @param options     values given on the command line, keyed by their variable names
     * @param environment the process environment
     */
    public static Configuration load(Map<String, String> options, Map<String, String> environment) throws IOException {
        List<Source> sources = new ArrayList<>();
        sources.add(new Source("command line", Map.copyOf(options)));
        sources.add(new Source("environment", Map.copyOf(environment)));
        Configuration withoutFile = new Configuration(sources);
        Optional<String> file = withoutFile.settings().get(CONFIG_FILE);
        if (file.isPresent()) {
            sources.add(new Source("config file " + file.get(), ConfigFile.read(Path.of(file.get()))));
        }
        return new Configuration(sources);
    }

    public static Configuration of(Map<String, String> values) {
        return new Configuration(List.of(new Source("given values", new LinkedHashMap<>(values))));
    }

    /** Every setting by its walstash name, aliases resolved; also passes through any other name (AWS_REGION …). */
    public Settings settings() {
        return this::lookup;
    }

    private Optional<String> lookup(String name) {
        for (Source source : sources) {
            Optional<String> value = source.get(name);
            if (value.isPresent()) {
                return value;
            }
            for (String alias : ALIASES.getOrDefault(name, List.of())) {
                Optional<String> aliased = source.get(alias);
                if (aliased.isPresent()) {
                    return aliased;
                }
            }
        }
        return Optional.empty();
    }

    /** The setting that names the repository, by the name it was given under (walstash's or a WAL-G alias). */
    public record StorageSetting(String name, String value) {
    }

    /**
     * The one setting that names the repository, whichever name it came under; fails with a one-line
     * message naming the settings when none or several different ones are set. Turning it into a
     * location is storage's ({@code StorageLocation.configured}), so config does not depend on storage.
     */
    public StorageSetting storageSetting() {
        for (Source source : sources) {
            Map<String, String> given = new LinkedHashMap<>();
            source.get(STORAGE).ifPresent(v -> given.put(STORAGE, v));
            for (String alias : ALIASES.get(STORAGE)) {
                source.get(alias).ifPresent(v -> given.put(alias, v));
            }
            if (given.size() > 1 && given.values().stream().distinct().count() > 1) {
                throw new IllegalArgumentException("the " + source.description() + " sets several storages ("
                        + String.join(", ", given.keySet()) + "); set only one");
            }
            if (!given.isEmpty()) {
                Map.Entry<String, String> chosen = given.entrySet().iterator().next();
                return new StorageSetting(chosen.getKey(), chosen.getValue());
            }
        }
        throw new NoStorageConfiguredException("set " + STORAGE + " (or WAL-G's " + String.join(", ", ALIASES.get(STORAGE)) + ")");
    }

    /** The codec name new objects are written with. */
    public String compression() {
        return lookup(COMPRESSION).orElse(DEFAULT_COMPRESSION);
    }
}
