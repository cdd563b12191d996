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
 * an optional config file ({@code --config} or {@code WALSTASH_CONFIG}). The other names a
 * {@link Setting} declares (WAL-G's, so that an existing WAL-G {@code .env} works unchanged) are
 * resolved source by source from the {@link SettingCatalogue}; within one source, walstash's own
 * name wins over an alias.
 */
public final class Configuration {
    private record Source(String description, Map<String, String> values) {
        Optional<String> get(String name) {
            return Optional.ofNullable(values.get(name)).map(String::strip).filter(v -> !v.isEmpty());
        }
    }

    private final List<Source> sources;
    private final SettingCatalogue catalogue;

    private Configuration(List<Source> sources) {
        this.sources = List.copyOf(sources);
        this.catalogue = SettingCatalogue.current();
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
        Optional<String> file = CoreSettings.CONFIG_FILE.find(withoutFile.settings());
        if (file.isPresent()) {
            sources.add(new Source("config file " + file.get(), ConfigFile.read(Path.of(file.get()))));
        }
        return new Configuration(sources);
    }

    public static Configuration of(Map<String, String> values) {
        return new Configuration(List.of(new Source("given values", new LinkedHashMap<>(values))));
    }

    /**
     * Every setting by its name, a declared setting's aliases resolved source by source; also passes
     * through any other name (AWS_PROFILE …) as it is set.
     */
    public Settings settings() {
        return new Settings() {
            @Override
            public Optional<String> get(String name) {
                return lookup(name);
            }

            @Override
            public Optional<Given> given(Setting<?> setting) {
                return Configuration.this.given(setting);
            }
        };
    }

    private Optional<String> lookup(String name) {
        Optional<Setting<?>> declared = catalogue.named(name);
        if (declared.isPresent() && declared.get().name().equals(name)) {
            return given(declared.get()).map(Settings.Given::value);
        }
        for (Source source : sources) {
            Optional<String> value = source.get(name);
            if (value.isPresent()) {
                return value;
            }
        }
        return Optional.empty();
    }

    private Optional<Settings.Given> given(Setting<?> setting) {
        for (Source source : sources) {
            for (String name : setting.names()) {
                Optional<String> value = source.get(name);
                if (value.isPresent()) {
                    return Optional.of(new Settings.Given(name, value.get()));
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
            for (String name : CoreSettings.STORAGE.names()) {
                source.get(name).ifPresent(v -> given.put(name, v));
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
        List<String> names = CoreSettings.STORAGE.names();
        throw new NoStorageConfiguredException("set " + names.get(0) + " (or WAL-G's "
                + String.join(", ", names.subList(1, names.size())) + ")");
    }

    /** The codec name new objects are written with. */
    public String compression() {
        return CoreSettings.COMPRESSION.get(settings());
    }
}
