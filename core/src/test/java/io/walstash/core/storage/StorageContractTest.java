package io.walstash.core.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link Storage} promises, written once and run against each backend.
 *
 * <p>A backend's test extends this class and implements {@link #newStorage()}. Where a backend
 * legitimately differs it overrides a capability method (such as {@link
 * #supportsKeyThatIsAlsoAPrefix()}); the test then asserts the documented alternative instead of
 * being skipped. A quirk that fits no flag is written down by overriding the (public) test method
 * with one that asserts the quirk.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
public abstract class StorageContractTest {

    private Storage storage;

    /**
     * A new, empty storage for one test. Called before each test; the storage is closed after it.
     * Backends that share a server between tests hand out a fresh bucket or prefix here.
     */
    protected abstract Storage newStorage() throws Exception;

    /** The storage under test, as returned by {@link #newStorage()} for the current test. */
    protected final Storage storage() {
        return storage;
    }

    // ---- capability flags and sizing hints; override where a backend differs ----

    /**
     * The backend's page size when listing; the pagination test stores two and a half pages.
     * S3, GCS and Azure list 1000 keys per request.
     */
    protected int listPageSize() {
        return 1000;
    }

    /** Size of the object streamed through in {@link #largeObjectStreamsThrough()}. */
    protected long largeObjectSize() {
        return 20L << 20;
    }

    /** Threads racing to create one key in {@link #concurrentCreatorsOfOneKeyHaveExactlyOneWinner()}. */
    protected int concurrentCreators() {
        return 8;
    }

    /**
     * Whether {@code a/b} and {@code a/b/c} can both be objects. Object stores allow it; a
     * filesystem can't have a file and a directory of one name, and instead refuses the second
     * create with an {@link IOException} naming its key, leaving the first object intact.
     */
    protected boolean supportsKeyThatIsAlsoAPrefix() {
        return true;
    }

    /** How far an object's last-modified time may stray from the test's clock. */
    protected Duration lastModifiedTolerance() {
        return Duration.ofSeconds(5);
    }

    /** Longest wait for any one concurrent step; tests never sleep. */
    protected Duration waitLimit() {
        return Duration.ofSeconds(60);
    }

    @BeforeEach
    final void openFreshStorage() throws Exception {
        storage = newStorage();
        assertThat(storage).as("newStorage()").isNotNull();
        assertThat(keys("")).as("newStorage() must return an empty storage").isEmpty();
    }

    @AfterEach
    final void closeStorage() throws IOException {
        if (storage != null) {
            storage.close();
            storage = null;
        }
    }

    // ---- create ----

    @Test
    public void createIfAbsentStoresOnceAndNeverOverwrites() throws IOException {
        assertThat(storage().createIfAbsent("wal/000000010000000000000001", stream("first"))).isTrue();
        assertThat(storage().createIfAbsent("wal/000000010000000000000001", stream("second, longer"))).isFalse();

        assertThat(readString("wal/000000010000000000000001")).isEqualTo("first");
        assertThat(storage().stat("wal/000000010000000000000001")).get()
                .extracting(ObjectInfo::size).isEqualTo(5L);
    }

    @Test
    public void deletedKeyCanBeCreatedAgain() throws IOException {
        assertThat(storage().createIfAbsent("k", stream("old"))).isTrue();
        storage().delete("k");

        assertThat(storage().createIfAbsent("k", stream("new"))).isTrue();
        assertThat(readString("k")).isEqualTo("new");
    }

    @Test
    public void emptyObjectRoundTrip() throws IOException {
        assertThat(storage().createIfAbsent("empty", InputStream.nullInputStream())).isTrue();

        assertThat(storage().stat("empty")).get().extracting(ObjectInfo::size).isEqualTo(0L);
        assertThat(readBytes("empty")).isEmpty();
        try (InputStream in = storage().readRange("empty", 0, 10)) {
            assertThat(in.readAllBytes()).isEmpty();
        }
        assertThat(list("")).extracting(ObjectInfo::key, ObjectInfo::size).containsExactly(tuple("empty", 0L));
        assertThat(storage().createIfAbsent("empty", stream("not empty"))).isFalse();
        assertThat(readBytes("empty")).isEmpty();
    }

    @Test
    public void keysWithPunctuationAndDeepPaths() throws IOException {
        List<String> keys = List.of(
                "wal_005/000000010000000A000000FE.zst",
                "wal_005/00000002.history.br",
                "basebackups_005/base_000000010000000000000002/tar_partitions/part_1.tar.lz4",
                "basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json",
                "a-b/c.d_e/f-g.h_i",
                "x/y/z/w/v/u/t/s/r/q/p/o/n/m/deep.bin",
                "trailing.",
                "-leading-dash",
                "_leading_underscore");
        for (String key : keys) {
            assertThat(storage().createIfAbsent(key, stream("content of " + key))).as(key).isTrue();
        }
        for (String key : keys) {
            assertThat(readString(key)).as(key).isEqualTo("content of " + key);
            assertThat(storage().stat(key)).as(key).get().extracting(ObjectInfo::key).isEqualTo(key);
        }
        assertThat(keys("")).containsExactlyInAnyOrderElementsOf(keys);
        assertThat(keys("x/y/z/w/v/u/t/s/r/q/p/o/n/m/")).containsExactly("x/y/z/w/v/u/t/s/r/q/p/o/n/m/deep.bin");
        assertThat(keys("wal_005/00000002.")).containsExactly("wal_005/00000002.history.br");
    }

    @Test
    public void keyThatIsAlsoAPrefix() throws IOException {
        assertThat(storage().createIfAbsent("p/q", stream("object p/q"))).isTrue();
        assertThat(storage().createIfAbsent("s/t/u", stream("object s/t/u"))).isTrue();

        if (supportsKeyThatIsAlsoAPrefix()) {
            assertThat(storage().createIfAbsent("p/q/r", stream("object p/q/r"))).isTrue();
            assertThat(storage().createIfAbsent("s/t", stream("object s/t"))).isTrue();
            assertThat(readString("p/q/r")).isEqualTo("object p/q/r");
            assertThat(readString("s/t")).isEqualTo("object s/t");
            assertThat(keys("p/q")).containsExactlyInAnyOrder("p/q", "p/q/r");
            assertThat(keys("s/")).containsExactlyInAnyOrder("s/t", "s/t/u");
        } else {
            assertThatThrownBy(() -> storage().createIfAbsent("p/q/r", stream("object p/q/r")))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("p/q/r");
            assertThatThrownBy(() -> storage().createIfAbsent("s/t", stream("object s/t")))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("s/t");
            assertThat(storage().stat("s/t")).isEmpty();
            assertThat(storage().stat("p/q/r")).isEmpty();
            assertThatThrownBy(() -> storage().read("s/t")).isInstanceOf(NoSuchObjectException.class);
            assertThat(keys("")).containsExactlyInAnyOrder("p/q", "s/t/u");
        }
        assertThat(readString("p/q")).isEqualTo("object p/q");
        assertThat(readString("s/t/u")).isEqualTo("object s/t/u");
    }

    // ---- read ----

    @Test
    public void readWholeObject() throws IOException {
        byte[] content = patternBytes(100_000, 1);
        storage().createIfAbsent("whole", new ByteArrayInputStream(content));

        InputStream in = storage().read("whole");
        try (in) {
            assertThat(in.readAllBytes()).isEqualTo(content);
            assertThat(in.read()).as("read after the end").isEqualTo(-1);
        }
        in.close(); // closing twice is safe
    }

    @Test
    public void readRangeFromTheMiddle() throws IOException {
        storage().createIfAbsent("range", stream(DIGITS_100));

        assertThat(readRangeString("range", 10, 20)).isEqualTo(DIGITS_100.substring(10, 30));
        assertThat(readRangeString("range", 0, 1)).isEqualTo("0");
        assertThat(readRangeString("range", 42, 0)).isEmpty();
    }

    @Test
    public void readRangeToTheEnd() throws IOException {
        storage().createIfAbsent("range", stream(DIGITS_100));

        assertThat(readRangeString("range", 90, 10)).isEqualTo(DIGITS_100.substring(90));
        assertThat(readRangeString("range", 0, 100)).isEqualTo(DIGITS_100);
    }

    @Test
    public void readRangePastTheEndReturnsFewerBytes() throws IOException {
        storage().createIfAbsent("range", stream(DIGITS_100));

        assertThat(readRangeString("range", 95, 50)).isEqualTo(DIGITS_100.substring(95));
        assertThat(readRangeString("range", 0, Long.MAX_VALUE)).isEqualTo(DIGITS_100);
    }

    @Test
    public void readRangeAtOrBeyondTheEndIsEmpty() throws IOException {
        storage().createIfAbsent("range", stream(DIGITS_100));

        assertThat(readRangeString("range", 100, 10)).isEmpty();
        assertThat(readRangeString("range", 1000, 10)).isEmpty();
    }

    @Test
    public void readOfMissingObjectNamesTheKey() {
        assertThatThrownBy(() -> storage().read("missing/000000010000000000000009"))
                .isInstanceOfSatisfying(NoSuchObjectException.class,
                        e -> assertThat(e.key()).isEqualTo("missing/000000010000000000000009"))
                .hasMessageContaining("missing/000000010000000000000009");
        assertThatThrownBy(() -> storage().readRange("missing/000000010000000000000009", 0, 10))
                .isInstanceOfSatisfying(NoSuchObjectException.class,
                        e -> assertThat(e.key()).isEqualTo("missing/000000010000000000000009"))
                .hasMessageContaining("missing/000000010000000000000009");
    }

    // ---- stat ----

    @Test
    public void statOfPresentObject() throws IOException {
        Instant before = Instant.now();
        storage().createIfAbsent("dir/stat-me", stream(DIGITS_100));
        Instant after = Instant.now();

        ObjectInfo info = storage().stat("dir/stat-me").orElseThrow();
        assertThat(info.key()).isEqualTo("dir/stat-me");
        assertThat(info.size()).isEqualTo(100);
        assertThat(info.lastModified())
                .isBetween(before.minus(lastModifiedTolerance()), after.plus(lastModifiedTolerance()));
    }

    @Test
    public void statOfMissingObjectIsEmpty() throws IOException {
        assertThat(storage().stat("no/such/key")).isEmpty();
        storage().createIfAbsent("no/such/other", stream("x"));
        assertThat(storage().stat("no/such/key")).isEmpty();
        assertThat(storage().stat("no/such")).as("a prefix is not an object").isEmpty();
    }

    // ---- list ----

    @Test
    public void listByPrefix() throws IOException {
        List<String> all = List.of("a/b/c", "a/b/cd", "a/b/x/y/z", "a/bc", "a/bx/c", "ab", "abc/d", "b/a/b/c");
        for (String key : all) {
            storage().createIfAbsent(key, stream(key.repeat(3)));
        }

        assertThat(keys("a/b/")).containsExactlyInAnyOrder("a/b/c", "a/b/cd", "a/b/x/y/z");
        assertThat(keys("a/b")).containsExactlyInAnyOrder("a/b/c", "a/b/cd", "a/b/x/y/z", "a/bc", "a/bx/c");
        assertThat(keys("a/b/c")).containsExactlyInAnyOrder("a/b/c", "a/b/cd");
        assertThat(keys("a/b/x/")).containsExactly("a/b/x/y/z");
        assertThat(keys("a")).containsExactlyInAnyOrder("a/b/c", "a/b/cd", "a/b/x/y/z", "a/bc", "a/bx/c", "ab", "abc/d");
        assertThat(keys("ab")).containsExactlyInAnyOrder("ab", "abc/d");
        assertThat(keys("")).containsExactlyInAnyOrderElementsOf(all);

        assertThat(list("a/b/")).extracting(ObjectInfo::key, ObjectInfo::size).containsExactlyInAnyOrder(
                tuple("a/b/c", 15L), tuple("a/b/cd", 18L), tuple("a/b/x/y/z", 27L));
    }

    @Test
    public void listOfPrefixWithoutObjectsIsEmpty() throws IOException {
        storage().createIfAbsent("a/b/c", stream("x"));

        assertThat(keys("zz")).isEmpty();
        assertThat(keys("nope/")).isEmpty();
        assertThat(keys("nope/deeper/still")).isEmpty();
        assertThat(keys("a/b/c/")).as("an object is not a folder").isEmpty();
        assertThat(keys("a/b/cd")).isEmpty();
    }

    @Test
    public void listManyObjectsReturnsEachOnce() throws Exception {
        int count = listPageSize() * 5 / 2;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            expected.add(String.format("many/%d/obj-%05d", i % 7, i));
        }
        runConcurrently(8, expected, key -> {
            if (!storage().createIfAbsent(key, stream(key))) {
                throw new AssertionError("key taken: " + key);
            }
        });
        storage().createIfAbsent("many-not/x", stream("x"));
        storage().createIfAbsent("other/x", stream("x"));

        List<ObjectInfo> listed = list("many/");
        assertThat(listed).extracting(ObjectInfo::key).doesNotHaveDuplicates().hasSize(count)
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(listed).allSatisfy(info -> assertThat(info.size()).isEqualTo(info.key().length()));
        assertThat(keys("many/3/")).hasSize((int) expected.stream().filter(k -> k.startsWith("many/3/")).count());
    }

    // ---- delete ----

    @Test
    public void deleteRemovesTheObject() throws IOException {
        storage().createIfAbsent("d/one", stream("1"));
        storage().createIfAbsent("d/two", stream("2"));

        storage().delete("d/one");

        assertThat(storage().stat("d/one")).isEmpty();
        assertThatThrownBy(() -> storage().read("d/one"))
                .isInstanceOf(NoSuchObjectException.class).hasMessageContaining("d/one");
        assertThat(keys("")).containsExactly("d/two");
        assertThat(readString("d/two")).isEqualTo("2");
    }

    @Test
    public void deleteOfMissingKeyIsFine() throws IOException {
        storage().delete("never/was");
        storage().createIfAbsent("d/one", stream("1"));
        storage().delete("d/one");
        storage().delete("d/one");
        storage().delete("d");
        assertThat(keys("")).isEmpty();
    }

    @Test
    public void deleteAllRemovesBatchIncludingMissingKeys() throws IOException {
        for (String key : List.of("b/1", "b/2", "b/3", "b/sub/4", "keep/1")) {
            storage().createIfAbsent(key, stream(key));
        }

        storage().deleteAll(List.of("b/1", "b/missing", "b/sub/4", "b/3", "never/there"));

        assertThat(keys("")).containsExactlyInAnyOrder("b/2", "keep/1");
        storage().deleteAll(List.of());
        storage().deleteAll(List.of("b/2", "b/2"));
        assertThat(keys("")).containsExactly("keep/1");
    }

    // ---- streaming, concurrency, failure ----

    @Test
    public void largeObjectStreamsThrough() throws IOException {
        long size = largeObjectSize();
        assertThat(storage().createIfAbsent("big/object", pattern(size, 42))).isTrue();

        assertThat(storage().stat("big/object")).get().extracting(ObjectInfo::size).isEqualTo(size);
        try (InputStream in = storage().read("big/object")) {
            assertThat(sha256(in)).isEqualTo(sha256(pattern(size, 42)));
        }
        int tail = (int) Math.min(1000, size);
        try (InputStream in = storage().readRange("big/object", size - tail, 5000)) {
            assertThat(in.readAllBytes()).isEqualTo(patternBytes(size - tail, tail, 42));
        }
        long middle = size / 2;
        int middleLength = (int) Math.min(70_000, size - middle);
        try (InputStream in = storage().readRange("big/object", middle, middleLength)) {
            assertThat(in.readAllBytes()).isEqualTo(patternBytes(middle, middleLength, 42));
        }
    }

    @Test
    public void concurrentCreatorsOfOneKeyHaveExactlyOneWinner() throws Exception {
        int creators = concurrentCreators();
        // Small objects make the creators reach the publishing step together; a large one
        // shows whether the winner's content is stored whole, not interleaved with a loser's.
        int rounds = 10;
        for (int round = 0; round < rounds; round++) {
            String key = "race/round-" + round;
            int size = round == 0 ? 256 * 1024 : 100 + round;
            CyclicBarrier start = new CyclicBarrier(creators);
            CyclicBarrier allRead = new CyclicBarrier(creators);
            ExecutorService pool = Executors.newFixedThreadPool(creators);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < creators; i++) {
                    long seed = round * 100L + i;
                    results.add(pool.submit(() -> {
                        start.await(waitLimit().toMillis(), TimeUnit.MILLISECONDS);
                        return storage().createIfAbsent(key, new GatedAtEndInputStream(pattern(size, seed), allRead));
                    }));
                }
                List<Integer> winners = new ArrayList<>();
                for (int i = 0; i < creators; i++) {
                    if (results.get(i).get(waitLimit().toMillis(), TimeUnit.MILLISECONDS)) {
                        winners.add(i);
                    }
                }
                assertThat(winners).as("creators that got true in round %d", round).hasSize(1);
                long winnerSeed = round * 100L + winners.get(0);
                assertThat(storage().stat(key)).get().extracting(ObjectInfo::size).isEqualTo((long) size);
                try (InputStream in = storage().read(key)) {
                    assertThat(sha256(in)).as("stored content is the winner's, entirely")
                            .isEqualTo(sha256(pattern(size, winnerSeed)));
                }
            } finally {
                shutdown(pool);
            }
        }
        assertThat(keys("race/")).hasSize(rounds);
    }

    @Test
    public void objectIsInvisibleWhileBeingCreated() throws Exception {
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        InputStream paused = new PausingInputStream(pattern(300_000, 5), 150_000, halfway, proceed, waitLimit());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Boolean> create = pool.submit(() -> storage().createIfAbsent("slow/key", paused));
            try {
                assertThat(halfway.await(waitLimit().toMillis(), TimeUnit.MILLISECONDS))
                        .as("the create read half of its content").isTrue();
                assertThat(storage().stat("slow/key")).as("stat while half written").isEmpty();
                assertThatThrownBy(() -> storage().read("slow/key")).isInstanceOf(NoSuchObjectException.class);
                assertThat(keys("")).as("list while half written").isEmpty();
                assertThat(keys("slow/")).as("list while half written").isEmpty();
            } finally {
                proceed.countDown();
            }
            assertThat(create.get(waitLimit().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        } finally {
            shutdown(pool);
        }
        assertThat(storage().stat("slow/key")).get().extracting(ObjectInfo::size).isEqualTo(300_000L);
        try (InputStream in = storage().read("slow/key")) {
            assertThat(sha256(in)).isEqualTo(sha256(pattern(300_000, 5)));
        }
    }

    @Test
    public void failedCreateLeavesNoObject() throws IOException {
        IOException failure = new IOException("simulated read failure");
        InputStream failing = new FailingInputStream(pattern(10L << 20, 7), (1 << 20) + 123, failure);

        assertThatThrownBy(() -> storage().createIfAbsent("broken/key", failing))
                .isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(causalChain(e)).as("the stream's exception propagates").contains(failure));

        assertThat(storage().stat("broken/key")).isEmpty();
        assertThatThrownBy(() -> storage().read("broken/key")).isInstanceOf(NoSuchObjectException.class);
        assertThat(keys("")).isEmpty();

        assertThat(storage().createIfAbsent("broken/key", stream("good"))).isTrue();
        assertThat(readString("broken/key")).isEqualTo("good");
    }

    @Test
    public void locationIsAnAbsoluteUri() {
        assertThat(storage().location()).isNotNull();
        assertThat(storage().location().isAbsolute()).as("%s is absolute", storage().location()).isTrue();
        assertThat(storage().location().getUserInfo()).isNull();
    }

    // ---- helpers, also for subclasses ----

    /** One hundred bytes whose value tells their position: "0123456789" ten times. */
    protected static final String DIGITS_100 = "0123456789".repeat(10);

    protected static InputStream stream(String content) {
        return new ByteArrayInputStream(content.getBytes(UTF_8));
    }

    protected final String readString(String key) throws IOException {
        return new String(readBytes(key), UTF_8);
    }

    protected final byte[] readBytes(String key) throws IOException {
        try (InputStream in = storage().read(key)) {
            return in.readAllBytes();
        }
    }

    protected final String readRangeString(String key, long offset, long length) throws IOException {
        try (InputStream in = storage().readRange(key, offset, length)) {
            return new String(in.readAllBytes(), UTF_8);
        }
    }

    /** Everything listed under {@code prefix}, the stream closed. */
    protected final List<ObjectInfo> list(String prefix) throws IOException {
        try (Stream<ObjectInfo> stream = storage().list(prefix)) {
            return stream.collect(Collectors.toList());
        }
    }

    protected final List<String> keys(String prefix) throws IOException {
        return list(prefix).stream().map(ObjectInfo::key).collect(Collectors.toList());
    }

    /** A deterministic stream of {@code size} bytes that are a function of {@code seed} and position. */
    protected static InputStream pattern(long size, long seed) {
        return new PatternInputStream(size, seed);
    }

    protected static byte[] patternBytes(int size, long seed) {
        return patternBytes(0, size, seed);
    }

    /** The bytes {@link #pattern} yields from {@code offset}. */
    protected static byte[] patternBytes(long offset, int length, long seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = PatternInputStream.byteAt(seed, offset + i);
        }
        return bytes;
    }

    protected static String sha256(InputStream in) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (DigestInputStream digesting = new DigestInputStream(in, digest)) {
            digesting.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Something a test does with one item; may throw. */
    @FunctionalInterface
    protected interface Action<T> {
        void run(T item) throws Exception;
    }

    /** Runs {@code action} for every item on {@code threads} threads; rethrows the first failure. */
    protected final <T> void runConcurrently(int threads, List<T> items, Action<T> action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit(() -> {
                    action.run(item);
                    return null;
                }));
            }
            long deadline = System.nanoTime() + waitLimit().toNanos();
            for (Future<?> future : futures) {
                future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } finally {
            shutdown(pool);
        }
    }

    private void shutdown(ExecutorService pool) throws InterruptedException {
        pool.shutdownNow();
        if (!pool.awaitTermination(waitLimit().toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("worker threads still running after " + waitLimit());
        }
    }

    private static List<Throwable> causalChain(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        Set<Throwable> seen = new HashSet<>();
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    /** Deterministic pseudo-random bytes, produced without holding them. */
    private static final class PatternInputStream extends InputStream {
        private final long size;
        private final long seed;
        private long position;

        PatternInputStream(long size, long seed) {
            this.size = size;
            this.seed = seed;
        }

        static byte byteAt(long seed, long position) {
            long z = seed * 0x9E3779B97F4A7C15L + (position >>> 3) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 30)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            return (byte) (z >>> ((position & 7) * 8));
        }

        @Override
        public int read() {
            return position < size ? byteAt(seed, position++) & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (position >= size) {
                return -1;
            }
            int n = (int) Math.min(len, size - position);
            for (int i = 0; i < n; i++) {
                b[off + i] = byteAt(seed, position++);
            }
            return n;
        }

        @Override
        public String toString() {
            return "Pattern(" + size + " bytes, seed " + seed + ")";
        }
    }

    /**
     * Holds back the end of its source until every creator has read all of its content, so that
     * racing creators go on to publish at about the same moment. Best effort: a creator that
     * never reads to the end (say, because it saw the key taken) releases the others after a
     * short wait.
     */
    private static final class GatedAtEndInputStream extends InputStream {
        private final InputStream source;
        private final CyclicBarrier allRead;
        private boolean passed;

        GatedAtEndInputStream(InputStream source, CyclicBarrier allRead) {
            this.source = source;
            this.allRead = allRead;
        }

        @Override
        public int read() throws IOException {
            int b = source.read();
            return b < 0 ? atEnd() : b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = source.read(b, off, len);
            return n < 0 ? atEnd() : n;
        }

        private int atEnd() {
            if (!passed) {
                passed = true;
                try {
                    allRead.await(250, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (BrokenBarrierException | TimeoutException e) {
                    // best effort: go on alone
                }
            }
            return -1;
        }
    }

    /** Passes on {@code before} bytes, signals {@code reached}, and waits for {@code proceed} before the rest. */
    public static final class PausingInputStream extends InputStream {
        private final InputStream source;
        private final CountDownLatch reached;
        private final CountDownLatch proceed;
        private final Duration waitLimit;
        private long before;

        public PausingInputStream(InputStream source, long before, CountDownLatch reached, CountDownLatch proceed, Duration waitLimit) {
            this.source = source;
            this.before = before;
            this.reached = reached;
            this.proceed = proceed;
            this.waitLimit = waitLimit;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (before == 0) {
                reached.countDown();
                try {
                    if (!proceed.await(waitLimit.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new IOException("test did not release the paused stream within " + waitLimit);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while paused");
                }
                before = -1;
            }
            int n = source.read(b, off, before > 0 ? (int) Math.min(len, before) : len);
            if (n > 0 && before > 0) {
                before -= n;
            }
            return n;
        }
    }

    /** Passes on {@code goodBytes} bytes of its source, then throws {@code failure}. */
    public static final class FailingInputStream extends InputStream {
        private final InputStream source;
        private final IOException failure;
        private long remaining;

        public FailingInputStream(InputStream source, long goodBytes, IOException failure) {
            this.source = source;
            this.remaining = goodBytes;
            this.failure = failure;
        }

        @Override
        public int read() throws IOException {
            if (remaining == 0) {
                throw failure;
            }
            int b = source.read();
            if (b >= 0) {
                remaining--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (remaining == 0) {
                throw failure;
            }
            int n = source.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public String toString() {
            return "Failing(" + source + ")";
        }
    }
}
