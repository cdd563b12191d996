package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
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
    /** picocli's usage width: longer footer lines would be wrapped to column 0. */
    private static final int WIDTH = 80;

    private SettingsHelp() {
    }

    /**
     * One block per concern (core's first, then the CLI's, then each adapter's), each setting's name
     * beside its description, then its default and other names where it has them.
     */
    static List<String> lines(SettingCatalogue catalogue) {
        List<Setting<?>> ordered = new ArrayList<>(new CoreSettings().settings());
        ordered.addAll(new CliSettings().settings());
        for (Setting<?> setting : catalogue.settings()) {
            if (!ordered.contains(setting)) {
                ordered.add(setting);
            }
        }
        Map<String, List<Setting<?>>> groups = new LinkedHashMap<>();
        for (Setting<?> setting : ordered) {
            groups.computeIfAbsent(setting.group(), g -> new ArrayList<>()).add(setting);
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<Setting<?>>> group : groups.entrySet()) {
            lines.add(" " + group.getKey() + ":");
            for (Setting<?> setting : group.getValue()) {
                String name = "  " + setting.name();
                if (name.length() >= NAME_WIDTH) {
                    lines.add(name);
                    name = "";
                }
                wrap(lines, name, setting.doc());
                String details = details(setting);
                if (!details.isEmpty()) {
                    wrap(lines, "", details);
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
        if (setting.isDeprecated()) {
            parts.add("deprecated: " + setting.deprecation());
        }
        if (!setting.type().choices().isEmpty()) {
            parts.add(setting.type().forms());
        }
        setting.defaultText().ifPresent(d -> parts.add("default " + d));
        String option = CliSettings.OPTIONS.get(setting.name());
        if (option != null) {
            parts.add("option " + option);
        }
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

    /** {@code text} in lines of at most {@link #WIDTH}, the first after {@code name}, all from column {@link #NAME_WIDTH}. */
    private static void wrap(List<String> lines, String name, String text) {
        StringBuilder line = new StringBuilder(name).append(" ".repeat(NAME_WIDTH - name.length()));
        int empty = NAME_WIDTH;
        for (String word : text.split(" ")) {
            if (line.length() > empty && line.length() + 1 + word.length() >= WIDTH) {
                lines.add(escape(line.toString()));
                line = new StringBuilder(" ".repeat(NAME_WIDTH));
            }
            if (line.length() > empty) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(escape(line.toString()));
    }

    /** picocli formats footers: a literal '%' is '%%'. */
    private static String escape(String line) {
        return line.replace("%", "%%");
    }
}
