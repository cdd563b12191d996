package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.storage.StorageLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationTest {
    @TempDir
    Path dir;

    @Test
    void optionsWinOverEnvironmentWhichWinsOverTheFile() throws IOException {
        Path file = Files.writeString(dir.resolve("walstash.env"),
                "WALSTASH_STORAGE=file:///from/file\nWALSTASH_COMPRESSION=lz4\nAWS_REGION=eu-west-1\n");
        Configuration config = Configuration.load(
                Map.of(CoreSettings.STORAGE.name(), "file:///from/option"),
                Map.of(CoreSettings.STORAGE.name(), "file:///from/env", CoreSettings.COMPRESSION.name(), "gzip",
                        CoreSettings.CONFIG_FILE.name(), file.toString()));

        assertThat(StorageLocation.configured(config).uri().toString()).isEqualTo("file:///from/option");
        assertThat(config.compression()).isEqualTo("gzip");
        assertThat(config.settings().get("AWS_REGION")).hasValue("eu-west-1");
    }

    @Test
    void walGEnvFileWorksUnchanged() throws IOException {
        Path file = Files.writeString(dir.resolve(".env"), String.join("\n",
                "# WAL-G settings",
                "export WALG_FILE_PREFIX=\"/var/lib/wal-archive\"",
                "WALG_COMPRESSION_METHOD=brotli   # smaller than lz4",
                "AWS_SECRET_ACCESS_KEY='s3cr3t value'",
                ""));
        Configuration config = Configuration.load(Map.of(), Map.of("WALSTASH_CONFIG", file.toString()));

        assertThat(StorageLocation.configured(config).uri().toString()).isEqualTo("file:/var/lib/wal-archive");
        assertThat(config.compression()).isEqualTo("brotli");
        assertThat(config.settings().get("AWS_SECRET_ACCESS_KEY")).hasValue("s3cr3t value");
        assertThat(config.settings().get("WALSTASH_COMPRESSION")).hasValue("brotli");
    }

    @Test
    void ownNameWinsOverAliasWithinOneSource() throws IOException {
        Configuration config = Configuration.load(Map.of(),
                Map.of("WALG_COMPRESSION_METHOD", "lz4", "WALSTASH_COMPRESSION", "xz"));
        assertThat(config.compression()).isEqualTo("xz");
    }

    @Test
    void compressionDefaultsToZstd() throws IOException {
        assertThat(Configuration.load(Map.of(), Map.of()).compression()).isEqualTo("zstd");
    }

    @Test
    void missingStorageNamesTheSettings() throws IOException {
        Configuration config = Configuration.load(Map.of(), Map.of());
        assertThatThrownBy(() -> StorageLocation.configured(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WALSTASH_STORAGE")
                .hasMessageContaining("WALG_FILE_PREFIX");
    }

    @Test
    void twoDifferentStoragesInOneSourceAreRefused() throws IOException {
        Configuration config = Configuration.load(Map.of(),
                Map.of("WALG_FILE_PREFIX", "/a", "WALG_S3_PREFIX", "s3://bucket/b"));
        assertThatThrownBy(() -> StorageLocation.configured(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WALG_S3_PREFIX")
                .hasMessageContaining("WALG_FILE_PREFIX");
    }

    @Test
    void badConfigFileLineNamesTheLineButNotTheValue() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.env"), "AWS_SECRET_ACCESS_KEY=ok\nthis is hunter2\n");
        assertThatThrownBy(() -> Configuration.load(Map.of(CoreSettings.CONFIG_FILE.name(), file.toString()), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void missingConfigFileIsNamed() {
        assertThatThrownBy(() -> Configuration.load(Map.of(), Map.of(CoreSettings.CONFIG_FILE.name(), "/no/such/walstash.env")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/no/such/walstash.env");
    }

    @Test
    void parsesQuotesCommentsAndExport() {
        Map<String, String> values = ConfigFile.parse(List.of("export A=1", "B = \"two # not a comment\"", "C=3 # comment", "", "# x"), "t");
        assertThat(values).containsExactly(
                org.assertj.core.api.Assertions.entry("A", "1"),
                org.assertj.core.api.Assertions.entry("B", "two # not a comment"),
                org.assertj.core.api.Assertions.entry("C", "3"));
    }
}
