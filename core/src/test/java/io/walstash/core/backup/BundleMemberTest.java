package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.wal.Lsn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A data directory file as a bundle's member: read and page-checked at its turn, left out when gone by then. */
class BundleMemberTest {
    private static final int BLOCK = 8192;
    /** Every page predates a backup that starts here, so every page is checked. */
    private static final Lsn LATE_START = Lsn.parse("FFFFFFFF/0");

    @TempDir
    Path data;

    @Test
    void aFileGoneByItsTurnIsLeftOutAndOnePresentIsReadWhole() throws IOException {
        byte[] content = PageLike.bytes(new Random(3), 3 * BLOCK);
        DataDirectoryFiles.LocalFile present = file("base/5/16400", content);
        DataDirectoryFiles.LocalFile gone = file("base/5/16401", content);
        Files.delete(gone.file());
        List<Long> corrupt = new ArrayList<>();

        assertThat(BackupPush.bundleMember(gone, BLOCK, false, LATE_START, corrupt).openOrNull()).isNull();
        try (InputStream in = BackupPush.bundleMember(present, BLOCK, false, LATE_START, corrupt).openOrNull()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(corrupt).isEmpty();
    }

    /** A relation file's page that fails its checksum is recorded, by block number, for each attempt afresh. */
    @Test
    void aRelationFilesPagesAreCheckedAndEachAttemptRecordsItsOwnFailures() throws IOException {
        byte[] content = new byte[2 * BLOCK];
        content[BLOCK + 100] = 1; // page 1: not new, LSN 0, checksum 0: fails
        DataDirectoryFiles.LocalFile relation = file("base/5/16402", content);
        List<Long> corrupt = new ArrayList<>(List.of(99L)); // left by an earlier attempt
        StoredObjects.BundleMember member = BackupPush.bundleMember(relation, BLOCK, true, LATE_START, corrupt);

        for (int attempt = 0; attempt < 2; attempt++) {
            try (InputStream in = member.openOrNull()) {
                assertThat(in.readAllBytes()).isEqualTo(content);
            }
            assertThat(corrupt).as("attempt %d", attempt).containsExactly(1L);
        }
        // not a relation file: not page-checked
        List<Long> none = new ArrayList<>();
        try (InputStream in = BackupPush.bundleMember(file("global/pg_filenode.map", content), BLOCK, true, LATE_START,
                none).openOrNull()) {
            in.readAllBytes();
        }
        assertThat(none).isEmpty();
    }

    private DataDirectoryFiles.LocalFile file(String path, byte[] content) throws IOException {
        Path file = data.resolve(path);
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        return new DataDirectoryFiles.LocalFile(path, file, content.length, 0, 0600);
    }
}
