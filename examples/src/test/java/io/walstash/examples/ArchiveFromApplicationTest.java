package io.walstash.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.examples.embedded.ArchiveFromApplication;
import io.walstash.examples.plugin.MemoryStorageProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveFromApplicationTest {
    @TempDir
    Path pgWal;

    @AfterEach
    void forgetRepository() {
        MemoryStorageProvider.drop("app-test");
    }

    @Test
    void embeddedApplicationArchivesThroughThePluginFoundByServiceLoader() throws Exception {
        List<Path> files = List.of(
                WalSegmentFiles.segment(pgWal, "000000010000000000000001", 77, 1),
                WalSegmentFiles.segment(pgWal, "000000010000000000000002", 77, 2),
                Files.writeString(pgWal.resolve("00000002.history"), "1\t0/2000000\tno recovery target specified\n"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        // mem:// is served only by the example plugin, so this open proves ServiceLoader found it
        Configuration configuration = Configuration.of(Map.of(CoreSettings.STORAGE.name(), "mem://app-test",
                CoreSettings.COMPRESSION.name(), "lz4"));
        try (WalArchive archive = WalArchive.open(configuration, "example test");
             PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            assertThat(new ArchiveFromApplication(archive, out).archiveAndCheck(files)).isTrue();
            assertThat(archive.storage().stat("wal/000000010000000000000002.lz4")).isPresent();
            assertThat(archive.readMarker().orElseThrow().systemIdentifier()).isEqualTo(77);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8).lines())
                .containsExactly("OK wal/000000010000000000000001.lz4", "OK wal/000000010000000000000002.lz4",
                        "OK wal/00000002.history.lz4");
    }

    @Test
    void aConflictIsReportedNotOverwritten() throws Exception {
        Path first = WalSegmentFiles.segment(pgWal, "000000010000000000000001", 77, 1);
        Path other = WalSegmentFiles.segment(Files.createDirectory(pgWal.resolve("other")), "000000010000000000000001", 77, 9);
        Configuration configuration = Configuration.of(Map.of(CoreSettings.STORAGE.name(), "mem://app-test"));
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (WalArchive archive = WalArchive.open(configuration, "example test");
             PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            ArchiveFromApplication app = new ArchiveFromApplication(archive, out);
            assertThat(app.archiveAndCheck(List.of(first))).isTrue();
            assertThat(app.archiveAndCheck(List.of(other))).isFalse();
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("CONFLICT wal/000000010000000000000001.zst");
    }
}
