package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryFilesTest {
    @TempDir
    Path pgdata;

    @Test
    void nothingUnderPgWalIsBackedUpNotEvenWalPushMarkers() throws IOException {
        Files.createDirectories(pgdata.resolve("global"));
        Files.write(pgdata.resolve("global/pg_control"), new byte[8192]);
        Files.createDirectories(pgdata.resolve("pg_wal/archive_status"));
        Files.write(pgdata.resolve("pg_wal/000000010000000000000003"), new byte[16]);
        Files.createDirectories(pgdata.resolve("pg_wal/walstash/pushed"));
        Files.writeString(pgdata.resolve("pg_wal/walstash/pushed/000000010000000000000003"), "key=wal/x\n");

        DataDirectoryFiles.Listing listing = DataDirectoryFiles.list(pgdata);

        assertThat(listing.files()).extracting(DataDirectoryFiles.LocalFile::path).containsExactly("global/pg_control");
        assertThat(listing.directories()).extracting(BackupManifest.Directory::path)
                .noneMatch(p -> p.startsWith("pg_wal/walstash"));
    }

    @Test
    void aSymlinkedPgWalIsListedAsADirectoryAndOtherLinksAreReported(@TempDir Path elsewhere) throws IOException {
        Files.createDirectories(pgdata.resolve("global"));
        Files.write(pgdata.resolve("global/pg_control"), new byte[8192]);
        Path wal = Files.createDirectories(elsewhere.resolve("wal"));
        Files.createDirectories(wal.resolve("archive_status"));
        Files.write(wal.resolve("000000010000000000000003"), new byte[16]);
        Files.createSymbolicLink(pgdata.resolve("pg_wal"), wal);
        Files.writeString(elsewhere.resolve("server.crt"), "certificate");
        Files.createSymbolicLink(pgdata.resolve("server.crt"), elsewhere.resolve("server.crt"));
        Files.writeString(pgdata.resolve("odd\\name"), "x");

        DataDirectoryFiles.Listing listing = DataDirectoryFiles.list(pgdata);

        assertThat(listing.files()).extracting(DataDirectoryFiles.LocalFile::path).containsExactly("global/pg_control");
        assertThat(listing.directories()).extracting(BackupManifest.Directory::path)
                .contains("pg_wal", "pg_wal/archive_status");
        assertThat(listing.skipped()).containsExactlyInAnyOrder(
                "symbolic link \"server.crt\" -> \"" + elsewhere.resolve("server.crt") + "\"",
                "file \"odd\\\\name\": contains a backslash");
    }
}
