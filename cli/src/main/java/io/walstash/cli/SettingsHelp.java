package io.walstash.cli;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingCatalogue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The settings section of {@code walstash --help}, written from the catalogue of declared settings. */
final class SettingsHelp {
    static final String HEADING = "%nConfiguration (options, then environment, then --config/WALSTASH_CONFIG file):%n";
    private static final int NAME_WIDTH = 32;

    private SettingsHelp() {
    }

    /** One block per concern, one line per setting, and a line of its default and other names where it has them. */
    static List<String> lines(SettingCatalogue catalogue) {
        Map<String, List<Setting<?>>> groups = new LinkedHashMap<>();
        for (Setting<?> setting : catalogue.settings()) {
            groups.computeIfAbsent(setting.group(), g -> new ArrayList<>()).add(setting);
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<Setting<?>>> group : groups.entrySet()) {
            lines.add(" " + group.getKey() + ":");
            for (Setting<?> setting : group.getValue()) {
                lines.add(escape(pad("  " + setting.name()) + setting.doc()));
                String details = details(setting);
                if (!details.isEmpty()) {
                    lines.add(escape(" ".repeat(NAME_WIDTH) + details));
                }
            }
        }
        lines.add("");
        lines.add("PostgreSQL:");
        lines.add("  archive_command = '/path/to/walstash/bin/walstash wal-push %%p'");
        lines.add("  restore_command = '/path/to/walstash/bin/walstash wal-fetch %%f %%p'");
        return lines;
    }

    private static String details(Setting<?> setting) {
        List<String> parts = new ArrayList<>();
        setting.defaultText().ifPresent(d -> parts.add("default " + d));
        List<String> also = new ArrayList<>();
        for (Setting.Alias alias : setting.aliases()) {
            also.add(alias.deprecated() ? alias.name() + " (deprecated: " + alias.deprecation() + ")" : alias.name());
        }
        if (!also.isEmpty()) {
            parts.add("also " + String.join(", ", also));
        }
        if (setting.secret()) {
            parts.add("a secret, never printed");
        }
        if (setting.environmentOnly() != null) {
            parts.add("environment only");
        }
        return String.join("; ", parts);
    }

    private static String pad(String text) {
        return text.length() < NAME_WIDTH ? text + " ".repeat(NAME_WIDTH - text.length()) : text + " ";
    }

    /** picocli formats footers: a literal '%' is '%%'. */
    private static String escape(String line) {
        return line.replace("%", "%%");
    }
}
