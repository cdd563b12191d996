package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingCatalogueTest {

    @Test
    void coreDeclaresItsSettingsThroughTheServiceLoader() {
        SettingCatalogue catalogue = SettingCatalogue.current();
        assertThat(catalogue.settings()).containsAll(new CoreSettings().settings());
        assertThat(catalogue.named("WALG_UPLOAD_CONCURRENCY")).contains(CoreSettings.UPLOAD_CONCURRENCY);
        assertThat(catalogue.named("WALSTASH_LOOKAHEAD")).contains(CoreSettings.LOOKAHEAD);
        assertThat(catalogue.named("AWS_PROFILE")).isEmpty();
    }

    @Test
    void everyCoreSettingHasADescriptionAndADefaultOfItsType() {
        for (Setting<?> setting : new CoreSettings().settings()) {
            assertThat(setting.doc()).as(setting.name()).isNotBlank().doesNotContain("\n");
            setting.defaultText().ifPresent(text -> assertThat(setting.type().parse(text)).as(setting.name())
                    .isEqualTo(setting.defaultValue()));
        }
    }

    @Test
    void aNameDeclaredTwiceIsRefused() {
        Setting<String> a = Setting.of("g", "A", SettingType.text()).alias("SHARED");
        Setting<String> b = Setting.of("g", "B", SettingType.text()).alias("SHARED");
        assertThatThrownBy(() -> SettingCatalogue.of(List.of(a, b))).hasMessage("SHARED is declared twice: by A and B");
    }

    @Test
    void aliasesResolveSourceBySourceAndMessagesNameTheAliasGiven(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("walstash.env"), "WALSTASH_UPLOAD_CONCURRENCY=2\nWALSTASH_LOG_LEVEL=info\n");
        Configuration configuration = Configuration.load(Map.of(),
                Map.of("WALG_UPLOAD_CONCURRENCY", "7", "WALSTASH_CONFIG", file.toString(), "WALG_DELTA_ORIGIN", "sideways"));
        assertThat(CoreSettings.UPLOAD_CONCURRENCY.get(configuration.settings())).as("the environment's alias beats the file's name")
                .isEqualTo(7);
        assertThat(configuration.settings().get("WALSTASH_UPLOAD_CONCURRENCY")).contains("7");
        assertThat(CoreSettings.LOG_LEVEL.find(configuration.settings())).contains("info");
        assertThatThrownBy(() -> CoreSettings.DELTA_ORIGIN.get(configuration.settings()))
                .hasMessage("WALG_DELTA_ORIGIN must be LATEST or LATEST_FULL, not sideways");
    }

    @Test
    void settingsOnceReadFromTheEnvironmentAloneHonourTheConfigFile(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("walstash.env"), "WALSTASH_PG_OS_USER=pgadmin\nPGUSER=backup\nWALG_LOG_LEVEL=DEBUG\n");
        Settings settings = Configuration.load(Map.of(), Map.of("WALSTASH_CONFIG", file.toString())).settings();
        assertThat(CoreSettings.PG_OS_USER.get(settings)).isEqualTo("pgadmin");
        assertThat(CoreSettings.PGUSER.find(settings)).contains("backup");
        assertThat(CoreSettings.LOG_LEVEL.find(settings)).contains("DEBUG");
        assertThat(CoreSettings.PG_OS_USER.get(Settings.empty())).isEqualTo("postgres");
    }
}
