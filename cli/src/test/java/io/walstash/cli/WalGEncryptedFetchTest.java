package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.testing.WalGLibsodium;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * wal-fetch of WAL that WAL-G stored with libsodium encryption on, through the real command line,
 * in process: a 16 MiB segment compressed by the zstd and lz4 tools and encrypted by libsodium itself
 * (as WAL-G does: compress, then encrypt; the codec's extension names the object), under
 * {@code wal_005/} of a {@code file://} repository, configured as a WAL-G {@code .env} would be.
 */
class WalGEncryptedFetchTest {
    private static final String SEGMENT = "000000010000000000000002";
    private static final int SEGMENT_SIZE = 16 << 20;
    private static final byte[] KEY = new byte[32];

    static {
        new Random(14).nextBytes(KEY);
    }

    @TempDir
    Path dir;
    private Path segment;
    private Path pgWal;

    /** Compressed segments by extension, made once: the tools' output does not change between tests. */
    private static final Map<String, byte[]> COMPRESSED = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws IOException {
        // as a switched segment is: a valid first page, 1 MiB of records, then zeros to 16 MiB
        segment = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("source")), SEGMENT, SEGMENT, 99, 1,
                1 << 20, SEGMENT_SIZE);
        try (FileChannel file = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[1]), SEGMENT_SIZE - 1); // zeros up to it
        }
        pgWal = Files.createDirectories(dir.resolve("pg_wal"));
    }

    @Test
    void segmentsWalGEncryptedAreFetchedWithEachKeyTransform() throws IOException {
        String base64 = Base64.getEncoder().encodeToString(KEY);
        Path hexFile = Files.writeString(dir.resolve("walg-hex.key"), HexFormat.of().formatHex(KEY) + "\n");
        String plain = "walstash-migrates-from-wal-g-key"; // 32 characters, WAL-G's transform none
        List<Case> cases = List.of(
                new Case("zst", KEY, "WALG_LIBSODIUM_KEY=" + base64 + "\nWALG_LIBSODIUM_KEY_TRANSFORM=base64\n"),
                new Case("lz4", KEY, "WALG_LIBSODIUM_KEY_PATH=" + hexFile + "\nWALG_LIBSODIUM_KEY_TRANSFORM=hex\n"),
                new Case("zst", plain.getBytes(StandardCharsets.US_ASCII), "WALG_LIBSODIUM_KEY='" + plain + "'\n"));
        for (Case c : cases) {
            Path repository = repository(c.extension(), c.key(), new String[0]);
            Path destination = pgWal.resolve("RECOVERYXLOG");

            CliRun fetch = fetch(repository, c.env(), destination);

            assertThat(fetch.exitCode()).as(c.env() + fetch.err()).isZero();
            assertThat(Files.mismatch(destination, segment)).as(c.env()).isEqualTo(-1L);
            Files.delete(destination);
        }
    }

    @Test
    void aWrongKeyExits6WithOneLineAndPlacesNothing() throws IOException {
        Path repository = repository("zst", KEY, new String[0]);
        byte[] wrong = KEY.clone();
        wrong[0] ^= 1;
        String wrongBase64 = Base64.getEncoder().encodeToString(wrong);

        CliRun fetch = fetch(repository, "WALG_LIBSODIUM_KEY=" + wrongBase64 + "\nWALG_LIBSODIUM_KEY_TRANSFORM=base64\n",
                pgWal.resolve("RECOVERYXLOG"));

        assertCorrupt(fetch, "object wal_005/" + SEGMENT + ".zst does not decrypt: chunk 1 of its libsodium stream fails"
                + " authentication");
        assertThat(fetch.err()).doesNotContain(wrongBase64).doesNotContain(Base64.getEncoder().encodeToString(KEY));
    }

    @Test
    void aFlippedByteExits6AndPlacesNothing() throws IOException {
        Path repository = repository("lz4", KEY, new String[0]);
        Path object = repository.resolve("wal_005/" + SEGMENT + ".lz4");
        byte[] bytes = Files.readAllBytes(object);
        bytes[bytes.length / 2] ^= 0x10;
        Files.write(object, bytes);

        assertCorrupt(fetch(repository, hexKeyEnv(), pgWal.resolve("RECOVERYXLOG")), "fails authentication");
    }

    @Test
    void aStreamCutAtAChunkBoundaryExits6AndPlacesNothing() throws IOException {
        Path repository = repository("zst", KEY, new String[0]);
        Path object = repository.resolve("wal_005/" + SEGMENT + ".zst");
        byte[] bytes = Files.readAllBytes(object);
        int chunks = (bytes.length - 24) / (8192 + 17);
        Files.write(object, Arrays.copyOf(bytes, 24 + (chunks / 2) * (8192 + 17)));

        assertCorrupt(fetch(repository, hexKeyEnv(), pgWal.resolve("RECOVERYXLOG")),
                "ends after " + chunks / 2 + " chunks of its libsodium stream without the final one: truncated");
    }

    @Test
    void aStreamWithoutItsFinalTagExits6AndPlacesNothing() throws IOException {
        // every chunk authentic, only the FINAL tag missing: what WAL-G's own reader lets through
        Path repository = repository("zst", KEY, new String[] {"--no-final"});

        assertCorrupt(fetch(repository, hexKeyEnv(), pgWal.resolve("RECOVERYXLOG")), "without the final one: truncated");
    }

    @Test
    void anEncryptedObjectWithoutTheKeyExits6() throws IOException {
        Path repository = repository("zst", KEY, new String[0]);

        CliRun fetch = fetch(repository, "", pgWal.resolve("RECOVERYXLOG"));

        assertCorrupt(fetch, "wal_005/" + SEGMENT + ".zst");
        assertThat(fetch.err()).contains("if WAL-G encrypted it with libsodium, set WALG_LIBSODIUM_KEY or WALG_LIBSODIUM_KEY_PATH");
    }

    @Test
    void aKeyThatDoesNotTransformExits3WithoutShowingIt() throws IOException {
        Path repository = repository("zst", KEY, new String[0]);
        String notHex = "zz" + HexFormat.of().formatHex(KEY).substring(2);

        CliRun fetch = fetch(repository, "WALG_LIBSODIUM_KEY=" + notHex + "\nWALG_LIBSODIUM_KEY_TRANSFORM=hex\n",
                pgWal.resolve("RECOVERYXLOG"));

        assertThat(fetch.exitCode()).as(fetch.err()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(fetch.errLines()).singleElement().asString().startsWith("walstash: error: ")
                .contains("WALG_LIBSODIUM_KEY is not hexadecimal").doesNotContain(notHex);
        assertThat(listing(pgWal)).isEmpty();
    }

    @Test
    void aPushNeverReadsWalGsKey() throws IOException {
        // a WAL-G .env with a key file walstash cannot read: archiving, which never decrypts, goes on
        Path config = Files.writeString(dir.resolve("push.env"), "WALG_FILE_PREFIX=" + dir.resolve("repo-push")
                + "\nWALG_LIBSODIUM_KEY_PATH=" + dir.resolve("absent.key") + "\n");

        CliRun push = CliRun.of("wal-push", "--config", config.toString(), segment.toString());

        assertThat(push.exitCode()).as(push.err()).isZero();
    }

    private String hexKeyEnv() throws IOException {
        Path file = Files.writeString(dir.resolve("walg.key"), HexFormat.of().formatHex(KEY));
        return "WALG_LIBSODIUM_KEY_PATH=" + file + "\nWALG_LIBSODIUM_KEY_TRANSFORM=hex\n";
    }

    private CliRun fetch(Path repository, String env, Path destination) throws IOException {
        Path config = Files.writeString(dir.resolve("walg.env"), "WALG_FILE_PREFIX=" + repository + "\n" + env);
        return CliRun.of("wal-fetch", "--config", config.toString(), SEGMENT, destination.toString());
    }

    private void assertCorrupt(CliRun fetch, String fragment) throws IOException {
        assertThat(fetch.exitCode()).as(fetch.err()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(fetch.errLines()).singleElement().asString().startsWith("walstash: error: ").contains(fragment);
        assertThat(listing(pgWal)).as("nothing placed, no temporary file").isEmpty();
    }

    /**
     * A repository laid out as WAL-G's, holding the segment compressed by the {@code extension}'s own
     * command-line tool and encrypted under {@code key} by libsodium ({@code options}: the C program's).
     */
    private Path repository(String extension, byte[] key, String[] options) throws IOException {
        Path repository = dir.resolve("repo-" + extension + "-" + HexFormat.of().formatHex(key, 0, 4)
                + String.join("", options));
        Path folder = Files.createDirectories(repository.resolve("wal_005"));
        byte[] compressed = COMPRESSED.get(extension);
        if (compressed == null) {
            compressed = compress(extension);
            COMPRESSED.put(extension, compressed);
        }
        Files.write(folder.resolve(SEGMENT + "." + extension), WalGLibsodium.encrypt(key, compressed, options));
        return repository;
    }

    /** The segment compressed by the {@code extension}'s own command-line tool, not by walstash's codec. */
    private byte[] compress(String extension) throws IOException {
        String tool = extension.equals("zst") ? "zstd" : "lz4";
        Path compressed = dir.resolve(SEGMENT + "." + extension);
        Process process = new ProcessBuilder(tool, "-q", "-f", "-c", segment.toString())
                .redirectOutput(compressed.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertThat(process.waitFor(2, TimeUnit.MINUTES)).as(tool + " finished").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertThat(process.exitValue()).as(tool).isZero();
        return Files.readAllBytes(compressed);
    }

    private static List<String> listing(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    private record Case(String extension, byte[] key, String env) {
    }
}
