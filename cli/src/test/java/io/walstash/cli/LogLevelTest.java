package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WALSTASH_LOG_LEVEL is read like every other setting: a config file sets it too. */
class LogLevelTest {

    @Test
    void aConfigFilesDebugLevelAddsTheStackTrace(@TempDir Path dir) throws IOException {
        Path debug = Files.writeString(dir.resolve("debug.env"), "WALSTASH_LOG_LEVEL=debug\n");
        Path quiet = Files.writeString(dir.resolve("quiet.env"), "WALSTASH_COMPRESSION=zstd\n");

        CliRun traced = CliRun.of("backup-list", "--storage", "nosuch://bucket", "--config", debug.toString());
        assertThat(traced.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(traced.errLines().get(0)).startsWith("walstash: error: ").contains("nosuch");
        assertThat(traced.err()).contains("\tat io.walstash.");

        CliRun plain = CliRun.of("backup-list", "--storage", "nosuch://bucket", "--config", quiet.toString());
        assertThat(plain.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(plain.errLines()).hasSize(1);
    }
}
