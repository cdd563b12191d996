package io.walstash.core.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.backup.DataDirectoryFiles;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrefetchDirectoryTest {
    @TempDir
    Path dataDirectory;

    @Test
    void windowCrossesIntoTheNextLogAndStopsAtTheEndOfTheAddressSpace() {
        WalSegmentSize size = WalSegmentSize.DEFAULT;
        assertThat(PrefetchDirectory.window(SegmentFileName.parse("0000000300000007000000FE"), size, 3))
                .extracting(SegmentFileName::fileName)
                .containsExactly("0000000300000007000000FF", "000000030000000800000000", "000000030000000800000001");
        SegmentFileName last = SegmentFileName.of(1, size.maxSegmentNumber(), size);
        assertThat(PrefetchDirectory.window(last.previous(size), size, 4)).containsExactly(last);
        assertThat(PrefetchDirectory.window(SegmentFileName.parse("000000010000000000000001"), size, 0)).isEmpty();
    }

    @Test
    void repositoriesGetTheirOwnFoldersInsideTheOneBesideTheDestination() {
        Path destination = dataDirectory.resolve("pg_wal/RECOVERYXLOG");
        PrefetchDirectory one = PrefetchDirectory.beside(destination, URI.create("s3://bucket/a"), Clock.systemUTC());
        PrefetchDirectory two = PrefetchDirectory.beside(destination, URI.create("s3://bucket/b"), Clock.systemUTC());
        assertThat(one.root()).isEqualTo(dataDirectory.resolve("pg_wal/.walstash-prefetch"));
        assertThat(one.path().getParent()).isEqualTo(one.root());
        assertThat(one.path()).isNotEqualTo(two.path());
        assertThat(PrefetchDirectory.beside(destination, URI.create("s3://bucket/a/"), Clock.systemUTC()).path())
                .isEqualTo(one.path());
    }

    @Test
    void baseBackupsLeaveThePrefetchFolderOut() throws IOException {
        Files.createDirectories(dataDirectory.resolve("global"));
        Files.writeString(dataDirectory.resolve("PG_VERSION"), "15\n");
        Path folder = PrefetchDirectory.beside(dataDirectory.resolve("pg_wal/RECOVERYXLOG"), URI.create("file:///r"),
                Clock.systemUTC()).path();
        Files.createDirectories(folder);
        Files.write(folder.resolve("000000010000000000000005.zst"), new byte[100]);
        Files.createDirectories(dataDirectory.resolve("pg_wal/archive_status"));

        DataDirectoryFiles.Listing listing = DataDirectoryFiles.list(dataDirectory);

        assertThat(listing.files()).extracting(DataDirectoryFiles.LocalFile::path).containsExactly("PG_VERSION");
        assertThat(listing.directories()).extracting(d -> d.path()).noneMatch(p -> p.contains(PrefetchDirectory.ROOT));
    }

    /** A prefetch worker killed mid-write leaves a temporary file under a name no later fetch claims again. */
    @Test
    void cleanUpRemovesTemporaryFilesWhoseWriterIsGoneAndKeepsALiveWritersOnes() throws Exception {
        PrefetchDirectory prefetch = PrefetchDirectory.beside(dataDirectory.resolve("pg_wal/RECOVERYXLOG"),
                URI.create("file:///r"), Clock.systemUTC());
        Files.createDirectories(prefetch.path());
        Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        String target = "000000010000000000000014.zst." + "ab".repeat(32);
        Path abandoned = Files.write(prefetch.path().resolve("." + target + "." + exited.pid() + "." + UUID.randomUUID()
                + ".walstash-tmp"), new byte[10]);
        Path live = Files.write(prefetch.path().resolve("." + target + "." + ProcessHandle.current().pid() + "."
                + UUID.randomUUID() + ".walstash-tmp"), new byte[10]);
        Path otherForm = Files.write(prefetch.path().resolve(".wanted.1.tmp"), new byte[1]);

        prefetch.cleanUpAfter(SegmentFileName.parse("000000010000000000000010"));

        assertThat(abandoned).as("its writer is gone").doesNotExist();
        assertThat(live).as("its writer runs").exists();
        assertThat(otherForm).as("fresh, another form").exists();
        Path again = Files.write(abandoned, new byte[10]);
        Path segment = Files.write(prefetch.path().resolve("000000010000000000000011.zst"), new byte[10]);
        prefetch.removeAbandonedTemporaries();
        assertThat(again).doesNotExist();
        assertThat(live).exists();
        assertThat(segment).as("only temporary files go").exists();
        assertThat(AbandonedTemps.isAbandoned("." + exited.pid() + "." + UUID.randomUUID() + ".walstash-tmp"))
                .as("no name before the process id").isFalse();
        assertThat(AbandonedTemps.isAbandoned(".x.notapid." + UUID.randomUUID() + ".walstash-tmp")).isFalse();
    }
}
