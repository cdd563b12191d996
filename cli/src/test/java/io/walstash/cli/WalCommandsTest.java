package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.compression.ZstdCodec;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.CompressingInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import io.walstash.core.testing.WalSegmentFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wal-push and wal-fetch through the real command line, codecs and file storage, in process. */
class WalCommandsTest {
    private static final String SEGMENT = "000000010000000000000002";

    @TempDir
    Path dir;

    private Path repository() {
        return dir.resolve("repo");
    }

    private String storage() {
        return repository().toUri().toString();
    }

    private Path segment(String name, long systemId, long seed) throws IOException {
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal-" + seed));
        return WalSegmentFiles.segment(pgWal, name, systemId, seed);
    }

    @Test
    void everyCodecPushesAndFetchesThroughTheCommandLine() throws IOException {
        String[] codecs = {"zstd", "lz4", "gzip", "xz", "lzma", "brotli", "none"};
        for (int i = 0; i < codecs.length; i++) {
            String name = "00000001" + "00000000" + String.format("%08X", 0x10 + i);
            Path file = segment(name, 99, i);
            CliRun push = CliRun.of("wal-push", "--storage", storage(), "--compression", codecs[i], file.toString());
            assertThat(push.exitCode()).as(codecs[i] + ": " + push.err()).isZero();

            // fetched with the default codec configured: the stored object's own codec decides
            Path destination = dir.resolve("RECOVERYXLOG-" + codecs[i]);
            CliRun fetch = CliRun.of("wal-fetch", "--storage", storage(), name, destination.toString());
            assertThat(fetch.exitCode()).as(codecs[i] + ": " + fetch.err()).isZero();
            assertThat(Files.readAllBytes(destination)).isEqualTo(Files.readAllBytes(file));
        }
    }

    @Test
    void walIsStoredAtZstdsFasterLevelOne() throws IOException {
        Path file = segment(SEGMENT, 99, 7);
        byte[] plain = Files.readAllBytes(file);
        byte[] level1 = compressed(plain, new ZstdCodec(1));
        byte[] level3 = compressed(plain, new ZstdCodec(ZstdCodec.DEFAULT_LEVEL));
        assertThat(level1).as("the levels must differ on this segment for the test to tell them apart").isNotEqualTo(level3);

        CliRun push = CliRun.of("wal-push", "--storage", storage(), "--compression", "zstd", file.toString());

        assertThat(push.exitCode()).as(push.err()).isZero();
        byte[] stored = Files.readAllBytes(repository().resolve("wal").resolve(SEGMENT + ".zst"));
        // the object is a header and then the compressed bytes
        assertThat(Arrays.copyOfRange(stored, stored.length - level1.length, stored.length)).isEqualTo(level1);
    }

    private static byte[] compressed(byte[] plain, Codec codec) throws IOException {
        try (InputStream in = new CompressingInputStream(new ByteArrayInputStream(plain), codec)) {
            return in.readAllBytes();
        }
    }

    @Test
    void rePushIdenticalSucceedsAndDifferentFailsLoudly() throws IOException {
        Path first = segment(SEGMENT, 99, 1);
        assertThat(CliRun.of("wal-push", "--storage", storage(), first.toString()).exitCode()).isZero();
        CliRun again = CliRun.of("wal-push", "--storage", storage(), first.toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.err()).contains("already archived with identical content");

        byte[] stored = Files.readAllBytes(repository().resolve("wal/" + SEGMENT + ".zst"));
        CliRun conflict = CliRun.of("wal-push", "--storage", storage(), segment(SEGMENT, 99, 2).toString());
        assertThat(conflict.exitCode()).isEqualTo(ExitCode.CONFLICT.code());
        assertThat(conflict.errLines()).singleElement().asString().contains("DIFFERENT content");
        assertThat(Files.readAllBytes(repository().resolve("wal/" + SEGMENT + ".zst"))).isEqualTo(stored);
    }

    @Test
    void anotherClustersWalIsRefused() throws IOException {
        assertThat(CliRun.of("wal-push", "--storage", storage(), segment(SEGMENT, 99, 1).toString()).exitCode()).isZero();
        CliRun foreign = CliRun.of("wal-push", "--storage", storage(), segment("000000010000000000000003", 12345, 2).toString());
        assertThat(foreign.exitCode()).isEqualTo(ExitCode.FOREIGN_REPOSITORY.code());
        assertThat(foreign.errLines()).singleElement().asString().contains("system 12345").contains("system 99");
        assertThat(repository().resolve("wal/000000010000000000000003.zst")).doesNotExist();
    }

    @Test
    void prefetchWorkerDownloadsTheWantedSegmentsAndIsHiddenFromHelp() throws IOException {
        String next = "000000010000000000000003";
        for (String name : new String[] {SEGMENT, next}) {
            assertThat(CliRun.of("wal-push", "--storage", storage(), segment(name, 99, name.hashCode()).toString())
                    .exitCode()).isZero();
        }
        Path root = dir.resolve("pg_wal/.walstash-prefetch");
        io.walstash.core.archive.PrefetchDirectory prefetch = io.walstash.core.archive.PrefetchDirectory.under(root,
                repository().toUri(), java.time.Clock.systemUTC());
        Path directory = Files.createDirectories(prefetch.path());
        // what wal-fetch of SEGMENT records for the worker: the segments after it, one a line
        Files.writeString(directory.resolve("wanted"), next + "\n000000010000000000000004\n");

        CliRun worker = CliRun.of("wal-prefetch", "--storage", storage(), "--dir", root.toString());

        assertThat(worker.exitCode()).as(worker.err()).isZero();
        // kept decoded: the segment's own bytes, named with their SHA-256
        Path kept = prefetch.find(io.walstash.core.wal.SegmentFileName.parse(next)).orElseThrow().file();
        assertThat(kept).hasSameBinaryContentAs(dir.resolve("pg_wal-" + next.hashCode()).resolve(next));
        assertThat(kept.getFileName().toString()).startsWith(next + ".zst.");
        assertThat(prefetch.find(io.walstash.core.wal.SegmentFileName.parse("000000010000000000000004"))).isEmpty();
        assertThat(CliRun.of("--help").out()).contains("wal-fetch").doesNotContain("wal-prefetch");
    }

    @Test
    void archiveRecoveryFromNoRepositoryAtAllStopsInsteadOfEndingAtTheFirstSegment() throws IOException {
        Path data = Files.createDirectories(dir.resolve("data/pg_wal"));
        Files.createFile(dir.resolve("data/recovery.signal"));
        Path destination = data.resolve("RECOVERYXLOG");
        // an unmounted file system or a wrong path lists as empty: that is no verified absence
        CliRun missing = CliRun.of("wal-fetch", "--storage", storage(), SEGMENT, destination.toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCode.RECOVERY_STOPPED.code());
        assertThat(missing.errLines()).singleElement().asString()
                .contains("recovery stopped", SEGMENT, "walstash-repository.properties");
        assertThat(destination).doesNotExist();
        // once the repository exists (its marker written by a push), what it lacks is "not in the archive"
        assertThat(CliRun.of("wal-push", "--storage", storage(), segment(SEGMENT, 99, 1).toString()).exitCode()).isZero();
        CliRun end = CliRun.of("wal-fetch", "--storage", storage(), "000000010000000000000003", destination.toString());
        assertThat(end.exitCode()).as(end.err()).isEqualTo(74);
        assertThat(destination).doesNotExist();
    }

    @Test
    void missingSegmentExits74AndPlacesNothing() {
        CliRun fetch = CliRun.of("wal-fetch", "--storage", storage(), SEGMENT, dir.resolve("RECOVERYXLOG").toString());
        assertThat(fetch.exitCode()).isEqualTo(74);
        assertThat(fetch.errLines()).singleElement().asString().contains(SEGMENT);
        assertThat(dir.resolve("RECOVERYXLOG")).doesNotExist();
    }

    @Test
    void corruptObjectIsRefusedAndNothingIsPlaced() throws IOException {
        assertThat(CliRun.of("wal-push", "--storage", storage(), "--compression", "none",
                segment(SEGMENT, 99, 1).toString()).exitCode()).isZero();
        Path object = repository().resolve("wal/" + SEGMENT + ".raw");
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length - 10] ^= 1;
        Files.write(object, bytes);

        Path destination = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        CliRun fetch = CliRun.of("wal-fetch", "--storage", storage(), SEGMENT, destination.toString());
        assertThat(fetch.exitCode()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(fetch.errLines()).singleElement().asString().contains("fails its checksum");
        assertThat(listing(destination.getParent())).isEmpty();
    }

    @Test
    void badInputIsOneLineAndNonZeroAndWritesNothing() throws IOException {
        Path segment = segment(SEGMENT, 99, 1);
        Path malformed = Files.copy(segment, segment.resolveSibling("00000001000000000000002"));
        Path directory = Files.createDirectories(dir.resolve("pg_wal-x/000000010000000000000009"));

        assertOneLineError(CliRun.of("wal-push", "--storage", storage(), dir.resolve("missing/" + SEGMENT).toString()),
                ExitCode.IO_ERROR, "no such file");
        assertOneLineError(CliRun.of("wal-push", "--storage", storage(), directory.toString()),
                ExitCode.IO_ERROR, "is a directory");
        assertOneLineError(CliRun.of("wal-push", "--storage", storage(), malformed.toString()),
                ExitCode.INVALID_INPUT, "'00000001000000000000002'");
        assertOneLineError(CliRun.of("wal-push", "--storage", storage(), "--compression", "snappy", segment.toString()),
                ExitCode.INVALID_INPUT, "unknown compression 'snappy' (known: brotli, gzip, lz4, lzma, none, xz, zstd)");
        assertOneLineError(CliRun.of("wal-push", "--storage", "ftp://host/path", segment.toString()),
                ExitCode.INVALID_INPUT, "no storage provider for scheme 'ftp'");
        assertOneLineError(CliRun.of("wal-push", "--storage", "file:///", segment.toString()),
                ExitCode.INVALID_INPUT, "has no path");
        assertOneLineError(CliRun.of("wal-fetch", "--storage", storage(), "not-a-wal-name", dir.resolve("x").toString()),
                ExitCode.INVALID_INPUT, "'not-a-wal-name'");
        assertThat(repository()).doesNotExist();

        assertThat(CliRun.of("wal-push", "--storage", storage(), segment.toString()).exitCode()).isZero();
        assertOneLineError(CliRun.of("wal-fetch", "--storage", storage(), SEGMENT, dir.resolve("no/dir/RECOVERYXLOG").toString()),
                ExitCode.IO_ERROR, "no/dir");
        assertThat(dir.resolve("no")).doesNotExist();
    }

    @Test
    void usageErrorsExit2() {
        CliRun run = CliRun.of("wal-push");
        assertThat(run.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(run.err()).contains("Missing required parameter: 'PATH'");
        assertThat(CliRun.of("no-such-verb").exitCode()).isEqualTo(ExitCode.USAGE.code());
    }

    @Test
    void helpListsCommandsExitCodesAndConfiguration() {
        CliRun help = CliRun.of("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("wal-push", "wal-fetch", "demo", "Exit codes:", "74", "WALSTASH_STORAGE",
                "WALG_FILE_PREFIX", "WALG_COMPRESSION_METHOD");
        assertThat(CliRun.of("wal-fetch", "--help").out()).contains("Exit codes:", "74", "128", "above 125");
        assertThat(CliRun.of("--version").out()).startsWith("walstash ");
        // 0..125, but for the one code that must stop PostgreSQL's archive recovery (DESIGN's exception)
        for (ExitCode code : ExitCode.values()) {
            assertThat(code.code()).as(code.name()).isBetween(0, code == ExitCode.RECOVERY_STOPPED ? 255 : 125);
        }
        assertThat(ExitCode.RECOVERY_STOPPED.code()).isGreaterThan(125).isNotIn(126, 127);
    }

    private static void assertOneLineError(CliRun run, ExitCode expected, String fragment) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(expected.code());
        assertThat(run.errLines()).as(run.err()).singleElement().asString().startsWith("walstash: error: ").contains(fragment);
    }

    private static java.util.List<String> listing(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
