package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingCatalogue;
import io.walstash.core.config.SettingType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The catalogue of declared settings (core's, the CLI's and every adapter's: the CLI's class path
 * has them all) against what is derived from it or written beside it: --help and README.md's
 * settings tables (the daemon's derived tables: io.walstash.cli.daemon.DaemonSettingsTest).
 */
public class SettingsCatalogueTest {
    private static final Path MODULE = Path.of(System.getProperty("user.dir"));
    private static final Pattern NAME = Pattern.compile("`([A-Z][A-Z0-9_]*_[A-Z0-9_]+|PG[A-Z]+)`");

    /** Every setting declared on this class path (core's, the CLI's and every adapter's). */
    public static List<Setting<?>> declared() {
        return SettingCatalogue.current().settings();
    }

    /** Every name and alias of {@link #declared()}. */
    public static Set<String> declaredNames() {
        Set<String> names = new TreeSet<>();
        for (Setting<?> setting : declared()) {
            names.addAll(setting.names());
        }
        return names;
    }

    @Test
    void everyModuleDeclaresItsSettings() {
        Set<String> groups = new TreeSet<>();
        declared().forEach(s -> groups.add(s.group()));
        assertThat(groups).contains("repository", "archiving", "fetching", "daemon", "s3", "gcs", "azure");
        for (Setting<?> setting : declared()) {
            assertThat(setting.doc()).as(setting.name()).isNotBlank();
        }
    }

    @Test
    void helpListsEverySettingAndAlias() {
        String help = CliRun.of("--help").out();
        for (String name : declaredNames()) {
            assertThat(help).as("--help names " + name).containsPattern("\\b" + name + "\\b");
        }
        assertThat(declaredNames()).as("options name declared settings").containsAll(CliSettings.OPTIONS.keySet());
        assertThat(help.replaceAll("\\s+", " ")).contains("option --storage", "option --daemon-socket (wal-push, wal-fetch)");
        for (Setting<?> setting : declared()) {
            if (setting.environmentOnly() != null) {
                assertThat(help).contains(setting.name() + " ").contains("environment only");
            }
        }
    }

    /** README.md's tables, and storage-s3/README.md's, which README.md links to for the S3 settings. */
    @Test
    void helpSaysWhichOtherNamesAreDeprecatedAndKeepsLinesWithinEightyColumns() {
        Setting<Integer> attempts = Setting.of("fetching", "WALSTASH_NEW_ATTEMPTS", SettingType.count(1, 9)).defaults(3)
                .deprecatedAlias("WALSTASH_OLD_ATTEMPTS", "use WALSTASH_NEW_ATTEMPTS")
                .doc("tries of each download, a description long enough to need a second line in eighty columns");
        List<String> lines = SettingsHelp.lines(SettingCatalogue.of(List.of(attempts)));
        assertThat(String.join(" ", lines).replaceAll("\\s+", " ")).contains("WALSTASH_OLD_ATTEMPTS (deprecated: use WALSTASH_NEW_ATTEMPTS)")
                .contains("default 3");
        assertThat(lines).allSatisfy(line -> assertThat(line.length()).isLessThan(80));
        assertThat(attempts.get(io.walstash.core.config.Settings.of(java.util.Map.of("WALSTASH_OLD_ATTEMPTS", "5"))))
                .as("a deprecated name is still read").isEqualTo(5);
    }

    @Test
    void readmeTablesListEveryDeclaredSettingAndNoOther() throws IOException {
        Set<String> documented = readmeSettingNames(Files.readAllLines(MODULE.resolveSibling("README.md")));
        documented.addAll(readmeSettingNames(Files.readAllLines(MODULE.resolveSibling("storage-s3").resolve("README.md"))));
        assertThat(documented).as("README's setting and alias columns").containsAll(declaredNames());
        assertThat(declaredNames()).as("settings README documents that nothing declares").containsAll(documented);
    }

    /** A setting deprecated as a whole (the SDKs' own retries) says so in --help and in its README row. */
    @Test
    void deprecatedSettingsSaySoInHelpAndReadme() throws IOException {
        List<String> readme = new ArrayList<>(Files.readAllLines(MODULE.resolveSibling("README.md")));
        readme.addAll(Files.readAllLines(MODULE.resolveSibling("storage-s3").resolve("README.md")));
        String help = CliRun.of("--help").out().replaceAll("\\s+", " ");
        List<Setting<?>> deprecated = declared().stream().filter(Setting::isDeprecated).toList();
        assertThat(deprecated).extracting(Setting::name)
                .contains("WALSTASH_S3_MAX_RETRIES", "WALSTASH_GCS_MAX_RETRIES", "WALSTASH_AZURE_MAX_RETRIES");
        for (Setting<?> setting : deprecated) {
            assertThat(help).as("--help on " + setting.name()).contains("deprecated: " + setting.deprecation());
            assertThat(readme).as("README row of " + setting.name())
                    .anySatisfy(line -> assertThat(line).startsWith("| `" + setting.name() + "`").contains("deprecated"));
        }
    }

    /** Names in the setting and alias columns of every table whose first column is "setting". */
    static Set<String> readmeSettingNames(List<String> lines) {
        Set<String> names = new TreeSet<>();
        List<Integer> columns = null;
        for (String line : lines) {
            if (!line.startsWith("|")) {
                columns = null;
                continue;
            }
            String[] cells = line.split("(?<!\\\\)\\|", -1);
            if (columns == null) {
                if (cells.length > 1 && cells[1].strip().equals("setting")) {
                    columns = new ArrayList<>();
                    for (int i = 1; i < cells.length; i++) {
                        String heading = cells[i].strip();
                        if (heading.equals("setting") || heading.contains("alias") || heading.contains("names also read")) {
                            columns.add(i);
                        }
                    }
                } else {
                    columns = List.of();
                }
                continue;
            }
            for (int column : columns) {
                if (column < cells.length) {
                    Matcher m = NAME.matcher(cells[column]);
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
            }
        }
        return names;
    }
}
