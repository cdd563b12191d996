package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A push killed between writing its marker's temporary file and the rename leaves nothing behind for long. */
class PushedMarkersTest {
    private static final String SEGMENT = "000000010000000000000052";

    @TempDir
    Path pgWal;

    private static long exitedPid() throws Exception {
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        return exited.pid();
    }

    @Test
    void aKilledWritersTemporaryFileGoesWithTheNextWriteOrLookAheadAndALiveWritersStays() throws Exception {
        PushedMarkers markers = new PushedMarkers(pgWal, "file:///repo");
        Path segment = Files.write(pgWal.resolve(SEGMENT), new byte[16]);
        Files.createDirectories(markers.directory());
        Path killed = Files.write(markers.directory().resolve("." + SEGMENT + "." + exitedPid() + "." + UUID.randomUUID()
                + AbandonedTemps.SUFFIX), new byte[3]);
        Path live = Files.write(markers.directory().resolve("." + SEGMENT + "." + ProcessHandle.current().pid() + "."
                + UUID.randomUUID() + AbandonedTemps.SUFFIX), new byte[3]);

        markers.write(segment, PushedMarkers.FileState.of(segment).orElseThrow(), "wal/" + SEGMENT + ".zst",
                new ObjectHeader(16, new byte[32]));

        assertThat(killed).as("its writer is gone").doesNotExist();
        assertThat(live).as("its writer runs").exists();
        assertThat(markers.directory().resolve(SEGMENT)).exists();
        try (var left = Files.list(markers.directory())) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(SEGMENT, live.getFileName().toString());
        }

        Path killedAgain = Files.write(killed, new byte[3]);
        markers.removeStale(pgWal);
        assertThat(killedAgain).as("look-ahead's sweep").doesNotExist();
        assertThat(live).exists();
        Path oldForm = Files.write(markers.directory().resolve("." + SEGMENT + "." + UUID.randomUUID() + ".tmp"), new byte[3]);
        Files.setLastModifiedTime(oldForm, java.nio.file.attribute.FileTime.from(Instant.now().minusSeconds(7200)));
        markers.removeStale(pgWal);
        assertThat(oldForm).as("an older walstash's, an hour old").doesNotExist();
        assertThat(markers.directory().resolve(SEGMENT)).as("its segment is still in pg_wal").exists();
    }
}
