package io.walstash.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One setting, declared once: its name, the other names accepted for it (WAL-G's, the SDKs'; some
 * deprecated, with a note), its type and default, a one-line description, and what it is to the
 * daemon. The parser, {@code --help}, the README's tables, the auto daemon's digest and the C
 * client's tables all follow from these declarations ({@link SettingCatalogue}).
 *
 * @param name         the name walstash documents, such as {@code WALSTASH_UPLOAD_CONCURRENCY}
 * @param aliases      other names, consulted in order after {@code name} within each source
 * @param type         the value's type and its parser
 * @param defaultValue the value when none is set, or null when there is none (the feature is off)
 * @param doc          one line for --help: what it does, without the default
 * @param group        the concern it belongs to, such as {@code archive} or {@code s3}: --help's order
 * @param secret       its value is never printed, logged or sent (the daemon digest carries its SHA-256)
 * @param neutral      changes neither what is written nor what is answered: not part of an auto daemon's
 *                     configuration, so calls that differ only here share a daemon
 * @param environmentOnly why it is read from the environment alone (the launcher reads it before any
 *                     configuration is), or null when the config file is honoured as for every other setting
 * @param deprecation  null for a setting that stays, else why it is kept and what to use instead
 *                     (printed in --help; still read)
 * @param <T>          the parsed value's type
 */
public record Setting<T>(String name, List<Alias> aliases, SettingType<T> type, T defaultValue, String doc, String group,
                         boolean secret, boolean neutral, String environmentOnly,
                         String deprecation) {

    /**
     * Another name accepted for a setting.
     *
     * @param deprecation null for a name that stays, else what to use instead (printed in --help)
     */
    public record Alias(String name, String deprecation) {
        public Alias {
            Objects.requireNonNull(name, "name");
        }

        public boolean deprecated() {
            return deprecation != null;
        }
    }

    public Setting {
        Objects.requireNonNull(name, "name");
        aliases = List.copyOf(aliases);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
        Objects.requireNonNull(group, "group");
    }

    /** A setting of {@code type} with no alias, default or description yet. */
    public static <T> Setting<T> of(String group, String name, SettingType<T> type) {
        return new Setting<>(name, List.of(), type, null, "", group, false, false, null, null);
    }

    /** A copy that accepts {@code names} too, after the name and earlier aliases. */
    public Setting<T> alias(String... names) {
        List<Alias> more = new ArrayList<>(aliases);
        for (String alias : names) {
            more.add(new Alias(alias, null));
        }
        return new Setting<>(name, more, type, defaultValue, doc, group, secret, neutral, environmentOnly, deprecation);
    }

    /** A copy that still accepts {@code alias}, saying in --help that it is deprecated and why. */
    public Setting<T> deprecatedAlias(String alias, String note) {
        List<Alias> more = new ArrayList<>(aliases);
        more.add(new Alias(alias, note));
        return new Setting<>(name, more, type, defaultValue, doc, group, secret, neutral, environmentOnly, deprecation);
    }

    public Setting<T> defaults(T value) {
        return new Setting<>(name, aliases, type, value, doc, group, secret, neutral, environmentOnly, deprecation);
    }

    public Setting<T> doc(String line) {
        return new Setting<>(name, aliases, type, defaultValue, line, group, secret, neutral, environmentOnly, deprecation);
    }

    /** A copy whose value is a secret. */
    public Setting<T> asSecret() {
        return new Setting<>(name, aliases, type, defaultValue, doc, group, true, neutral, environmentOnly, deprecation);
    }

    /** A copy that is not part of an auto daemon's configuration. */
    public Setting<T> asNeutral() {
        return new Setting<>(name, aliases, type, defaultValue, doc, group, secret, true, environmentOnly, deprecation);
    }

    public Setting<T> environmentOnly(String reason) {
        return new Setting<>(name, aliases, type, defaultValue, doc, group, secret, neutral, reason, deprecation);
    }

    /**
     * A copy that is deprecated as a whole, name and aliases: still read, and --help and the README
     * say so with {@code note}.
     */
    public Setting<T> deprecated(String note) {
        return new Setting<>(name, aliases, type, defaultValue, doc, group, secret, neutral, environmentOnly,
                Objects.requireNonNull(note, "note"));
    }

    public boolean isDeprecated() {
        return deprecation != null;
    }

    /** The name, then every alias, in the order they are consulted. */
    public List<String> names() {
        List<String> names = new ArrayList<>(aliases.size() + 1);
        names.add(name);
        for (Alias alias : aliases) {
            names.add(alias.name());
        }
        return names;
    }

    /** The value set under this setting's name or one of its aliases, parsed; empty when unset. */
    public Optional<T> find(Settings settings) {
        Optional<Settings.Given> given = settings.given(this);
        if (given.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parse(given.get()));
    }

    /** The value set, or the default (null when the setting has none). */
    public T get(Settings settings) {
        Optional<T> value = find(settings);
        return value.isPresent() ? value.get() : defaultValue;
    }

    /**
     * Parses a value given under {@code given.name()}; fails with one line naming that name and the
     * accepted forms, and the value unless it is a secret.
     */
    public T parse(Settings.Given given) {
        try {
            return type.parse(given.value());
        } catch (IllegalArgumentException e) {
            if (SettingType.speaksForItself(e)) {
                throw new IllegalArgumentException(given.name() + " " + e.getMessage(), e);
            }
            throw new IllegalArgumentException(given.name() + " must be " + type.forms()
                    + (secret || !type.quotesValue() ? "" : ", not " + given.value()), e);
        }
    }

    /** The default as --help and the README write it, or empty. */
    public Optional<String> defaultText() {
        return defaultValue == null ? Optional.empty() : Optional.of(type.format(defaultValue));
    }

    @Override
    public String toString() {
        return name;
    }
}
