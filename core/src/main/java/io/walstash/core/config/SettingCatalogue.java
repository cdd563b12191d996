package io.walstash.core.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

/**
 * Every declared setting on the class path: the one list that the configuration resolves aliases
 * from, and that --help, the README check and the daemon's digest are derived from.
 */
public final class SettingCatalogue {
    private static final Map<ClassLoader, SettingCatalogue> LOADED = Collections.synchronizedMap(new WeakHashMap<>());

    private final List<Setting<?>> settings;
    private final Map<String, Setting<?>> byName;

    private SettingCatalogue(List<Setting<?>> settings) {
        Map<String, Setting<?>> names = new LinkedHashMap<>();
        for (Setting<?> setting : settings) {
            for (String name : setting.names()) {
                Setting<?> earlier = names.put(name, setting);
                if (earlier != null) {
                    throw new IllegalStateException(name + " is declared twice: by " + earlier.name() + " and " + setting.name());
                }
            }
        }
        this.settings = List.copyOf(settings);
        this.byName = names;
    }

    /** The settings declared through {@link SettingDeclarations} visible to the thread's context class loader. */
    public static SettingCatalogue current() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = SettingCatalogue.class.getClassLoader();
        }
        SettingCatalogue catalogue = LOADED.get(loader);
        if (catalogue == null) {
            catalogue = load(loader);
            LOADED.put(loader, catalogue);
        }
        return catalogue;
    }

    static SettingCatalogue load(ClassLoader loader) {
        List<Setting<?>> all = new ArrayList<>();
        for (SettingDeclarations declarations : ServiceProviders.load(SettingDeclarations.class, loader)) {
            all.addAll(declarations.settings());
        }
        return new SettingCatalogue(all);
    }

    /** A catalogue of exactly these settings (tests, embedding applications). */
    public static SettingCatalogue of(List<Setting<?>> settings) {
        return new SettingCatalogue(settings);
    }

    /** Every declared setting, in declaration order. */
    public List<Setting<?>> settings() {
        return settings;
    }

    /** The setting declared under {@code name}, as its name or as an alias. */
    public Optional<Setting<?>> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }
}
