package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pg_wal/archive_status read as PostgreSQL's XLogArchiveIsBusy reads it. */
class ArchiveStatusTest {
    private static final String SEGMENT = "000000010000000000000003";
    private static final String HISTORY = "000000010000000000000002.00000028.backup";

    @TempDir
    Path data;
    private Path wal;
    private Path status;

    @BeforeEach
    void cluster() throws IOException {
        wal = Files.createDirectories(data.resolve("pg_wal"));
        status = Files.createDirectories(wal.resolve("archive_status"));
    }

    private ArchiveStatus archiveStatus() {
        return ArchiveStatus.of(data).orElseThrow();
    }

    @Test
    void aReadyFileIsBusyUntilItsDoneAppears() throws IOException {
        Files.write(wal.resolve(SEGMENT), new byte[16]);
        Files.createFile(status.resolve(SEGMENT + ".ready"));
        assertThat(archiveStatus().busy(SEGMENT)).isTrue();

        Files.move(status.resolve(SEGMENT + ".ready"), status.resolve(SEGMENT + ".done"));
        assertThat(archiveStatus().busy(SEGMENT)).isFalse();
    }

    @Test
    void doneWinsOverReady() throws IOException {
        Files.createFile(status.resolve(HISTORY + ".ready"));
        Files.createFile(status.resolve(HISTORY + ".done"));
        assertThat(archiveStatus().busy(HISTORY)).isFalse();
    }

    @Test
    void withNoStatusFileTheFileItselfDecides() throws IOException {
        // gone: archived, then removed or recycled by a checkpoint
        assertThat(archiveStatus().busy(SEGMENT)).isFalse();
        // still there: its .ready has not been written yet
        Files.write(wal.resolve(SEGMENT), new byte[16]);
        assertThat(archiveStatus().busy(SEGMENT)).isTrue();
    }

    @Test
    void aWalDirectoryThatIsALinkIsFollowed() throws IOException {
        Path elsewhere = Files.createDirectories(data.resolveSibling(data.getFileName() + "-wal"));
        try {
            Path linked = Files.createDirectories(elsewhere.resolve("archive_status"));
            Files.delete(status);
            Files.delete(wal);
            Files.createSymbolicLink(wal, elsewhere);
            Files.createFile(linked.resolve(SEGMENT + ".ready"));
            assertThat(archiveStatus().busy(SEGMENT)).isTrue();
        } finally {
            try (var files = Files.walk(elsewhere)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aStatusDirectoryThatIsAFileLeavesTheWaitToTheServer() throws IOException {
        // a file where the directory should be: no look at it can be trusted
        Files.delete(status);
        Files.writeString(status, "not a directory");
        assertThat(ArchiveStatus.of(data)).as("not a directory: the server's own wait is used").isEmpty();
    }

    @Test
    void aLookThatFailsOtherwiseThanNotFoundIsThrown() throws IOException {
        ArchiveStatus archiveStatus = archiveStatus();
        // pg_wal/archive_status replaced by a file after the check: NotDirectoryException, not "absent"
        Files.delete(status);
        Files.writeString(status, "not a directory");
        assertThatThrownBy(() -> archiveStatus.busy(SEGMENT)).isInstanceOf(IOException.class);
    }

    @Test
    void noArchiveStatusDirectoryMeansTheServerWaits() throws IOException {
        Files.delete(status);
        assertThat(ArchiveStatus.of(data)).isEmpty();
    }
}
