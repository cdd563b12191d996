package io.walstash.storage.fs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.StorageContractTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the contract can't see: the files themselves. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileStorageTest {
    @TempDir
    Path tempDir;
    Path root;
    FileStorage storage;

    @BeforeEach
    void open() throws IOException {
        root = tempDir.resolve("repo");
        storage = FileStorage.open(root);
    }

    @Test
    void keyIsAFileBelowTheRootAndNothingElseRemains() throws IOException {
        assertThat(storage.createIfAbsent("wal_005/000000010000000000000001.zst", stream("segment"))).isTrue();

        Path file = root.resolve("wal_005/000000010000000000000001.zst");
        assertThat(file).hasContent("segment");
        assertThat(filesBelow(root)).containsExactly(file);
        // The temp name is gone: the object's inode has exactly one name.
        assertThat(Files.getAttribute(file, "unix:nlink")).isEqualTo(1);
    }

    @Test
    void objectsAndFoldersAreOwnerOnlyWhateverTheUmask() throws IOException {
        // the test JVM runs under the usual umask 022: without explicit modes these would be 0644/0755
        assertThat(storage.createIfAbsent("wal/000000010000000000000001.zst", stream("segment"))).isTrue();

        assertThat(posix(root.resolve("wal/000000010000000000000001.zst"))).isEqualTo("rw-------");
        assertThat(posix(root.resolve("wal"))).isEqualTo("rwx------");
        assertThat(posix(root)).isEqualTo("rwx------");
    }

    @Test
    void alreadyStoredAnswerWaitsUntilTheExistingEntryIsDurable() throws IOException {
        assertThat(storage.createIfAbsent("wal/000000010000000000000001.zst", stream("segment"))).isTrue();
        List<Path> synced = new java.util.concurrent.CopyOnWriteArrayList<>();
        FileStorage.syncObserver = synced::add;
        try {
            // as if another process had just linked it and not yet synced its directory
            assertThat(storage.createIfAbsent("wal/000000010000000000000001.zst", stream("segment"))).isFalse();
        } finally {
            FileStorage.syncObserver = dir -> { };
        }
        assertThat(synced).contains(root.resolve("wal"));
    }

    @Test
    void renameFallbackWaitsForAnotherProcessPublishingInTheSameFolder() throws Exception {
        FileStorage noLinks = FileStorage.open(root, false);
        assertThat(noLinks.createIfAbsent("wal/000000010000000000000001.zst", stream("first"))).isTrue();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process other = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                PublishLockHolder.class.getName(), root.resolve("wal").toString(), "000000010000000000000002.zst")
                .redirectErrorStream(true).start();
        try {
            var fromOther = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream(), UTF_8));
            assertThat(fromOther.readLine()).isEqualTo("locked");
            // between the other process's existence check and its rename: ours must wait for it
            CompletableFuture<Boolean> ours = CompletableFuture.supplyAsync(() -> {
                try {
                    return noLinks.createIfAbsent("wal/000000010000000000000002.zst", stream("ours"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // a bounded look for the old behaviour (renaming at once); the new one is still waiting after it
            assertThat(ours).failsWithin(Duration.ofSeconds(2)).withThrowableOfType(java.util.concurrent.TimeoutException.class);
            other.getOutputStream().write('\n');
            other.getOutputStream().flush();
            assertThat(ours.get(30, TimeUnit.SECONDS)).as("the other process published first").isFalse();
            assertThat(root.resolve("wal/000000010000000000000002.zst")).hasContent("theirs");
        } finally {
            other.destroyForcibly();
            other.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String posix(Path path) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    @Test
    void tempFileIsNeverVisibleUnderItsKey() throws Exception {
        CountDownLatch halfWritten = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        InputStream gated = new StorageContractTest.PausingInputStream(new ByteArrayInputStream(new byte[100_000]), 40_000, halfWritten, proceed, Duration.ofSeconds(30));

        CompletableFuture<Boolean> create = CompletableFuture.supplyAsync(() -> {
            try {
                return storage.createIfAbsent("dir/key", gated);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            assertThat(halfWritten.await(30, TimeUnit.SECONDS)).as("writer reached the gate").isTrue();

            List<Path> files = filesBelow(root);
            assertThat(files).singleElement().satisfies(temp -> {
                assertThat(temp.getParent()).isEqualTo(root.resolve("dir"));
                assertThat(temp.getFileName().toString()).startsWith(".key.").endsWith(".walstash-tmp");
                assertThat(Files.size(temp)).isEqualTo(40_000);
            });
            assertThat(storage.stat("dir/key")).isEmpty();
            assertThatThrownBy(() -> storage.read("dir/key")).isInstanceOf(NoSuchObjectException.class);
            assertThat(keys("")).isEmpty();
            assertThat(keys("dir/")).isEmpty();
        } finally {
            proceed.countDown();
        }
        assertThat(create.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(storage.stat("dir/key")).get().extracting(ObjectInfo::size).isEqualTo(100_000L);
        assertThat(filesBelow(root)).containsExactly(root.resolve("dir/key"));
    }

    @Test
    void leftoverTempFileOfACrashedWriterIsIgnored() throws IOException {
        Path dir = Files.createDirectories(root.resolve("wal"));
        Path leftover = Files.writeString(dir.resolve(".seg.0123456789abcdef.walstash-tmp"), "partial");

        assertThat(keys("")).isEmpty();
        assertThat(keys("wal/")).isEmpty();
        assertThat(keys("wal/.seg")).isEmpty();
        assertThat(storage.createIfAbsent("wal/seg", stream("complete"))).isTrue();

        assertThat(keys("")).containsExactly("wal/seg");
        assertThat(storage.read("wal/seg")).hasContent("complete");
        assertThat(leftover).hasContent("partial");
        assertThatThrownBy(() -> storage.stat("wal/.seg.0123456789abcdef.walstash-tmp"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved for temporary files");
    }

    @Test
    void failedCreateRethrowsTheStreamsExceptionAndRemovesItsTempFile() throws IOException {
        IOException failure = new IOException("disk of the source vanished");
        InputStream failing = new InputStream() {
            private int left = 200_000;

            @Override
            public int read() throws IOException {
                // InputStream.read(byte[]) swallows this after a first byte; keep throwing.
                if (left <= 0) {
                    throw failure;
                }
                left--;
                return 'x';
            }
        };

        assertThatThrownBy(() -> storage.createIfAbsent("a/b", failing)).isSameAs(failure);
        assertThat(filesBelow(root)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            ../x                       | it has a '..' segment
            a/../../x                  | it has a '..' segment
            a/..                       | it has a '..' segment
            ./a                        | it has a '.' segment
            a/./b                      | it has a '.' segment
            /abs                       | it is absolute
            a//b                       | empty segment
            a/                         | empty segment
            a\\b                       | backslash
            ""                         | it is empty
            x/.y.walstash-tmp          | reserved for temporary files
            """)
    void rejectsKeysThatCouldEscapeOrCollide(String key, String why) throws IOException {
        String expected = "invalid storage key '" + key + "': ";
        assertThatThrownBy(() -> storage.createIfAbsent(key, stream("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(expected).hasMessageContaining(why);
        assertThatThrownBy(() -> storage.read(key)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(expected);
        assertThatThrownBy(() -> storage.readRange(key, 0, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(expected);
        assertThatThrownBy(() -> storage.stat(key)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(expected);
        assertThatThrownBy(() -> storage.delete(key)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(expected);
        assertThat(filesBelow(tempDir)).isEmpty();
    }

    @Test
    void rejectsPrefixesThatCouldEscape() {
        for (String prefix : List.of("../", "a/../", "/abs", "a//", "a\\b")) {
            assertThatThrownBy(() -> storage.list(prefix)).as(prefix)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid storage key '" + prefix + "': ");
        }
    }

    @Test
    void deleteAllChecksEveryKeyBeforeDeletingAny() throws IOException {
        storage.createIfAbsent("a", stream("x"));

        assertThatThrownBy(() -> storage.deleteAll(List.of("a", "../b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'../b'");
        assertThat(keys("")).containsExactly("a");
    }

    @Test
    void aFolderIsNotAnObject() throws IOException {
        storage.createIfAbsent("a/b", stream("x"));

        assertThat(storage.stat("a")).isEmpty();
        assertThatThrownBy(() -> storage.read("a")).isInstanceOf(NoSuchObjectException.class).hasMessageContaining("'a'");
        storage.delete("a");
        storage.deleteAll(List.of("a"));
        assertThat(keys("")).containsExactly("a/b");
    }

    @Test
    void keysBelowAnObjectAreMissing() throws IOException {
        storage.createIfAbsent("a/b", stream("x"));

        assertThat(storage.stat("a/b/c")).isEmpty();
        assertThatThrownBy(() -> storage.read("a/b/c")).isInstanceOf(NoSuchObjectException.class).hasMessageContaining("'a/b/c'");
        storage.delete("a/b/c");
        assertThat(keys("a/b/")).isEmpty();
        assertThatThrownBy(() -> storage.createIfAbsent("a/b/c", stream("y")))
                .isInstanceOf(IOException.class)
                .hasMessage("cannot store key 'a/b/c': 'a/b' is an object, and in file storage a key can't be both an object and a folder");
    }

    @Test
    void emptiedFoldersStay() throws IOException {
        storage.createIfAbsent("a/b/c", stream("x"));
        storage.delete("a/b/c");

        assertThat(root.resolve("a/b")).isEmptyDirectory();
        assertThat(keys("")).isEmpty();
        assertThat(storage.createIfAbsent("a/b/c", stream("y"))).isTrue();
    }

    @Test
    void readRangeUsesLongOffsetsWithoutReadingWhatComesBefore() throws IOException {
        // A sparse 5 GiB file: offsets beyond int range, and reading it all would be slow.
        long size = 5L << 30;
        Path file = Files.createDirectories(root.resolve("big")).resolve("sparse");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap("tail".getBytes(UTF_8)), size - 4);
        }

        try (InputStream in = storage.readRange("big/sparse", size - 6, 100)) {
            assertThat(in.readAllBytes()).isEqualTo(new byte[] {0, 0, 't', 'a', 'i', 'l'});
        }
        try (InputStream in = storage.read("big/sparse")) {
            assertThat(in.skip(size - 2)).isEqualTo(size - 2);
            assertThat(in.available()).isEqualTo(2);
            assertThat(in.readAllBytes()).isEqualTo("il".getBytes(UTF_8));
            assertThat(in.skip(10)).isZero();
        }
        assertThat(storage.stat("big/sparse")).get().extracting(ObjectInfo::size).isEqualTo(size);
    }

    @Test
    void readRangeRejectsNegativeOffsetOrLength() throws IOException {
        storage.createIfAbsent("k", stream("x"));

        assertThatThrownBy(() -> storage.readRange("k", -1, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read 1 bytes at offset -1 of 'k': offset and length must not be negative");
        assertThatThrownBy(() -> storage.readRange("k", 0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readStreamShowsItsFileAndRefusesUseAfterClose() throws IOException {
        storage.createIfAbsent("k", stream("abc"));
        InputStream in = storage.read("k");
        assertThat(in.toString()).startsWith("File(" + root.resolve("k"));
        in.close();
        in.close();
        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void existingDirectoryKeepsItsObjects() throws IOException {
        storage.createIfAbsent("x/y", stream("kept"));

        FileStorage reopened = FileStorage.open(root);

        assertThat(reopened.read("x/y")).hasContent("kept");
        assertThat(reopened.createIfAbsent("x/y", stream("other"))).isFalse();
    }

    @Test
    void rootBehindASymbolicLinkIsListed() throws IOException {
        storage.createIfAbsent("a/b", stream("x"));
        Path link = Files.createSymbolicLink(tempDir.resolve("link"), root);

        FileStorage viaLink = FileStorage.open(link);

        assertThat(viaLink.list("").map(ObjectInfo::key)).containsExactly("a/b");
        assertThat(viaLink.list("a/").map(ObjectInfo::key)).containsExactly("a/b");
    }

    @Test
    void closingAListStreamEarlyClosesItsDirectories() throws IOException {
        for (int i = 0; i < 20; i++) {
            storage.createIfAbsent("d" + (i % 4) + "/k" + i, stream("x"));
        }
        Stream<ObjectInfo> listing = storage.list("");
        assertThat(listing.iterator().next()).isNotNull();
        listing.close();
        listing.close();
    }

    private List<String> keys(String prefix) throws IOException {
        try (Stream<ObjectInfo> listing = storage.list(prefix)) {
            return listing.map(ObjectInfo::key).collect(Collectors.toList());
        }
    }

    private static List<Path> filesBelow(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).collect(Collectors.toList());
        }
    }

    private static InputStream stream(String content) {
        return new ByteArrayInputStream(content.getBytes(UTF_8));
    }

}
