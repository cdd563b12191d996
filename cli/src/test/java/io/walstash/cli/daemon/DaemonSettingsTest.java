package io.walstash.cli.daemon;

import static io.walstash.cli.SettingsCatalogueTest.declared;
import static io.walstash.cli.SettingsCatalogueTest.declaredNames;
import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.cli.CliSettings;
import io.walstash.cli.OperationLogSettings;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Setting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon's clients derive from the catalogue of declared settings: the C client's tables,
 * the auto daemon's digest of a configuration, and the JVM client's log level.
 */
class DaemonSettingsTest {
    private static final Path MODULE = Path.of(System.getProperty("user.dir"));

    @Test
    void theCClientsTablesAreTheCatalogues() throws IOException {
        String source = Files.readString(MODULE.resolve("src/main/c/walstash-client.c"));
        assertThat(cArray(source, "PREFIXES")).isEqualTo(AutoDaemon.PREFIXES);
        assertThat(cArray(source, "ALSO")).isEqualTo(AutoDaemon.ALSO)
                .isEqualTo(List.of(OperationLogSettings.ARCHIVE_LOG.name(), OperationLogSettings.RESTORE_LOG.name()));
        assertThat(cArray(source, "SECRET_PARTS")).isEqualTo(AutoDaemon.SECRET_PARTS);
        assertThat(cArray(source, "STORAGE_NAMES")).isEqualTo(CoreSettings.STORAGE.names());
        assertThat(cArray(source, "COMPRESSION_NAMES")).isEqualTo(CoreSettings.COMPRESSION.names());

        Set<String> excluded = new TreeSet<>(List.of(AutoDaemon.CONFIG_DIGEST));
        for (Setting<?> setting : declared()) {
            for (String name : setting.names()) {
                if (setting.neutral() && prefixed(name)) {
                    excluded.add(name);
                }
            }
        }
        assertThat(new TreeSet<>(cArray(source, "EXCLUDED"))).isEqualTo(excluded);

        Matcher getenv = Pattern.compile("getenv\\(\"([A-Z_]+)\"\\)").matcher(source);
        Set<String> read = new TreeSet<>();
        while (getenv.find()) {
            read.add(getenv.group(1));
        }
        read.remove("XDG_RUNTIME_DIR"); // where the runtime directory is, not a walstash setting
        assertThat(declaredNames()).containsAll(read);
        assertThat(read).containsAll(CoreSettings.LOG_LEVEL.names());
    }

    /** The strings of {@code static const char *const NAME[] = {...};}. */
    private static List<String> cArray(String source, String name) {
        Matcher m = Pattern.compile("static const char \\*const " + name + "\\[\\] = \\{([^}]*)\\};").matcher(source);
        assertThat(m.find()).as("the C client declares " + name).isTrue();
        List<String> values = new ArrayList<>();
        Matcher string = Pattern.compile("\"([^\"]*)\"").matcher(m.group(1));
        while (string.find()) {
            values.add(string.group(1));
        }
        return values;
    }

    private static boolean prefixed(String name) {
        for (String prefix : AutoDaemon.PREFIXES) {
            if (name.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The JVM fast path runs on core's and the CLI's jars only, and the C client knows no declaration:
     * both hash a value by the name parts alone, and leave out only core's and the CLI's neutral
     * settings. So every declared secret must match a part, and only core and the CLI may declare a
     * neutral setting; then every client names the same socket for one configuration.
     */
    @Test
    void theDaemonDigestIsTheSameWhereverItIsComputed() {
        Set<Setting<?>> visibleToTheFastPath = new LinkedHashSet<>(new CoreSettings().settings());
        visibleToTheFastPath.addAll(new CliSettings().settings());
        for (Setting<?> setting : declared()) {
            for (String name : setting.names()) {
                if (setting.secret() && prefixed(name)) {
                    assertThat(AutoDaemon.SECRET_PARTS.stream().anyMatch(name::contains)).as(name + " is hashed by its name").isTrue();
                    assertThat(AutoDaemon.wire(name, "s3cr3t")).startsWith("sha256:");
                }
                if (setting.neutral()) {
                    assertThat(visibleToTheFastPath).as(name + " is neutral where the fast path can see it").contains(setting);
                }
                assertThat(AutoDaemon.relevant(name)).as(name)
                        .isEqualTo((prefixed(name) || AutoDaemon.ALSO.contains(name)) && !setting.neutral());
            }
        }
        assertThat(AutoDaemon.relevant("AWS_PROFILE")).as("undeclared names the SDKs read still count").isTrue();
        assertThat(AutoDaemon.relevant(AutoDaemon.CONFIG_DIGEST)).isFalse();
    }

    @Test
    void theJvmDaemonClientTakesTheLevelFromTheConfigFileWhenTheEnvironmentHasNone(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("walstash.env"), "export WALG_LOG_LEVEL='DEBUG'\n");
        Map<String, String> environment = Map.of("HOME", "/home/x");

        assertThat(DaemonClient.withConfiguredLogLevel(environment, file.toString()))
                .containsEntry("WALSTASH_LOG_LEVEL", "DEBUG").containsEntry("HOME", "/home/x");
        assertThat(DaemonClient.withConfiguredLogLevel(Map.of("WALSTASH_LOG_LEVEL", "info"), file.toString()))
                .as("the environment wins over the file").containsOnly(Map.entry("WALSTASH_LOG_LEVEL", "info"));
        assertThat(DaemonClient.withConfiguredLogLevel(environment, null)).isSameAs(environment);
    }
}
