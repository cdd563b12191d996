package io.walstash.storage.gcs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the adapter does over HTTP when {@link FakeGcsServer} misbehaves, refuses or goes away. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GcsHttpFaultTest {
    private static final String BUCKET = "fault-bucket";
    private static final int CHUNK = 256 * 1024;

    private FakeGcsServer server;
    private final List<GcsStorage> opened = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = FakeGcsServer.start().createBucket(BUCKET);
    }

    @AfterEach
    void stopServer() throws IOException {
        for (GcsStorage storage : opened) {
            storage.close();
        }
        server.stop();
    }

    /** Retries with 10 ms backoff, so that tests of retries stay quick. */
    private GcsStorage open(String uri, int maxRetries, int chunkSize, Map<String, String> more) throws IOException {
        Map<String, String> values = new HashMap<>(more);
        values.putIfAbsent(GcsDeclarations.ENDPOINT.name(), server.endpoint().toString());
        values.put(GcsDeclarations.CHUNK_SIZE.name(), Integer.toString(chunkSize));
        GcsSettings settings = GcsSettings.from(Settings.of(values))
                .withRetries(maxRetries, Duration.ofMillis(10), Duration.ofMillis(50))
                .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(20));
        GcsStorage storage = GcsStorage.open(GcsLocation.of(URI.create(uri)), settings);
        opened.add(storage);
        return storage;
    }

    private GcsStorage open() throws IOException {
        return open("gs://" + BUCKET + "/repo", 4, CHUNK, Map.of());
    }

    // ---- retries ----

    @Test
    void retriesOn429And503AndSucceeds() throws IOException {
        GcsStorage storage = open();

        server.failNextRequests(3, 429);
        assertThat(storage.createIfAbsent("k", stream("content"))).isTrue();
        assertThat(server.requests()).filteredOn(r -> r.startsWith("POST /upload/")).hasSize(4);

        server.failNextRequests(2, 503);
        assertThat(storage.stat("k")).get().extracting(ObjectInfo::size).isEqualTo(7L);
        server.failNextRequests(2, 503);
        assertThat(read(storage, "k")).isEqualTo("content");
        server.failNextRequests(2, 503);
        try (Stream<ObjectInfo> list = storage.list("")) {
            assertThat(list.map(ObjectInfo::key)).containsExactly("k");
        }
        server.failNextRequests(2, 429);
        storage.delete("k");
        assertThat(server.objectNames(BUCKET)).isEmpty();
    }

    @Test
    void retriesFailedChunksOfAResumableUpload() throws IOException {
        GcsStorage storage = open();
        InputStream content = new ActionAtInputStream(pattern(1_000_000), 600_000, () -> server.failNextRequests(2, 503));

        assertThat(storage.createIfAbsent("big", content)).isTrue();

        assertThat(server.object(BUCKET, "repo/big")).get().isEqualTo(pattern(1_000_000).readAllBytes());
        assertThat(server.requests()).filteredOn(r -> r.startsWith("PUT /upload/")).hasSizeGreaterThan(4);
    }

    /**
     * With the settings' defaults the SDK makes one attempt per request: walstash's retry layer
     * (WALSTASH_RETRIES) is the one retry budget, and the failure reaches it at once.
     */
    @Test
    void byDefaultTheSdkMakesOneAttemptPerRequest() throws IOException {
        GcsSettings settings = GcsSettings.from(Settings.of(Map.of(GcsDeclarations.ENDPOINT.name(), server.endpoint().toString())));
        assertThat(GcsClients.retrySettings(settings).getMaxAttempts()).isEqualTo(1);
        GcsStorage storage = GcsStorage.open(GcsLocation.of(URI.create("gs://" + BUCKET + "/repo")), settings);
        opened.add(storage);

        server.failNextRequests(1, 503);
        assertThatThrownBy(() -> storage.createIfAbsent("k", stream("x")))
                .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.SERVICE_ERROR));
        assertThat(server.requests()).as("one attempt, no SDK retry").hasSize(1);
        server.clearRequests();
        server.failNextRequests(1, 503);
        assertThatThrownBy(() -> storage.stat("k")).isInstanceOf(StorageFailure.class);
        assertThat(server.requests()).hasSize(1);

        assertThat(storage.createIfAbsent("k", stream("x"))).as("the next attempt, as the layer makes it").isTrue();
        assertThat(read(storage, "k")).isEqualTo("x");
    }

    @Test
    void givesUpAfterTheRetriesWithAOneLineServiceError() throws IOException {
        GcsStorage storage = open("gs://" + BUCKET + "/repo", 2, CHUNK, Map.of());
        server.failNextRequests(100, 503);

        assertThatThrownBy(() -> storage.createIfAbsent("k", stream("x")))
                .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.SERVICE_ERROR))
                .hasMessageStartingWith("storage service error: gs://fault-bucket/repo/ (create 'k'): HTTP 503")
                .hasMessageNotContaining("\n");
        assertThat(server.requests()).hasSize(3);
        server.failNextRequests(0, 503);
        assertThat(server.objectNames(BUCKET)).isEmpty();
    }

    // ---- preconditions ----

    @Test
    void preconditionFailedMeansTheKeyIsTaken() throws IOException {
        GcsStorage storage = open();
        assertThat(storage.createIfAbsent("small", stream("first"))).isTrue();
        assertThat(storage.createIfAbsent("large", pattern(700_000))).isTrue();
        server.clearRequests();

        assertThat(storage.createIfAbsent("small", stream("second"))).isFalse();
        assertThat(storage.createIfAbsent("large", new ByteArrayInputStream(new byte[700_000]))).isFalse();

        assertThat(read(storage, "small")).isEqualTo("first");
        assertThat(server.object(BUCKET, "repo/large")).get().isEqualTo(pattern(700_000).readAllBytes());
        // the resumable create was refused when its session was started, before any chunk
        assertThat(server.requests()).noneMatch(r -> r.startsWith("PUT "));
    }

    @Test
    void aResumableUploadOvertakenByAnotherCreatorIsRefusedWhenFinalised() throws Exception {
        GcsStorage storage = open();
        CountDownLatch halfway = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        InputStream slow = new io.walstash.core.storage.StorageContractTest.PausingInputStream(
                pattern(900_000), 600_000, halfway, proceed, Duration.ofSeconds(60));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Boolean> slowCreate = pool.submit(() -> storage.createIfAbsent("race", slow));
            assertThat(halfway.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(storage.createIfAbsent("race", stream("the fast one"))).isTrue();
            proceed.countDown();
            assertThat(slowCreate.get(60, TimeUnit.SECONDS)).isFalse();
        } finally {
            proceed.countDown();
            pool.shutdownNow();
        }
        assertThat(read(storage, "race")).isEqualTo("the fast one");
    }

    @Test
    void ownCreateWhoseResponseWasLostIsRecognisedOnRetry() throws IOException {
        GcsStorage storage = open();
        server.loseNextUploadResponse();

        assertThat(storage.createIfAbsent("k", stream("mine"))).as("the retry's 412 is our own object").isTrue();
        assertThat(storage.createIfAbsent("k", stream("someone else"))).isFalse();
        assertThat(read(storage, "k")).isEqualTo("mine");
    }

    @Test
    void lostResponseOfAFinalChunkIsRecoveredByTheSession() throws IOException {
        GcsStorage storage = open();
        InputStream content = new ActionAtInputStream(pattern(600_000), 599_999, server::loseNextUploadResponse);

        assertThat(storage.createIfAbsent("k", content)).isTrue();
        assertThat(server.object(BUCKET, "repo/k")).get().isEqualTo(pattern(600_000).readAllBytes());
    }

    // ---- broken connections ----

    @Test
    void droppedConnectionMidUploadIsResumed() throws IOException {
        GcsStorage storage = open("gs://" + BUCKET + "/repo", 4, 2 * CHUNK, Map.of());
        InputStream content = new ActionAtInputStream(pattern(3_000_000), 1_200_000, server::dropConnectionDuringNextChunk);

        assertThat(storage.createIfAbsent("k", content)).isTrue();

        assertThat(server.object(BUCKET, "repo/k")).get().isEqualTo(pattern(3_000_000).readAllBytes());
        assertThat(read(storage, "k").length()).isPositive();
    }

    @Test
    void serverStoppedMidUploadFailsTheCreateAndLeavesNoObject() {
        InputStream content = new ActionAtInputStream(pattern(2_000_000), 700_000, server::stop);

        assertThatThrownBy(() -> open("gs://" + BUCKET + "/repo", 2, CHUNK, Map.of()).createIfAbsent("k", content))
                .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                .hasMessageContaining("gs://fault-bucket/repo/ (create 'k')")
                .hasMessageNotContaining("\n")
                .hasMessageNotContaining("upload_id");
        assertThat(server.object(BUCKET, "repo/k")).isEmpty();
        assertThat(server.objectNames(BUCKET)).isEmpty();
        assertThat(server.unfinishedUploads()).isEqualTo(1);
    }

    @Test
    void unreachableEndpoint() throws IOException {
        URI closed = server.endpoint();
        server.stop();
        GcsStorage storage = open("gs://" + BUCKET + "/repo", 1, CHUNK, Map.of(GcsDeclarations.ENDPOINT.name(), closed.toString()));

        assertThatThrownBy(() -> storage.stat("k"))
                .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                .hasMessageStartingWith("endpoint unreachable: gs://fault-bucket/repo/ (stat 'k'): ConnectException")
                .hasMessageNotContaining("\n");
    }

    @Test
    void tlsToAServerThatAnswersInPlainTextIsATlsProblem() throws Exception {
        try (ServerSocket plain = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> {
                while (!plain.isClosed()) {
                    try (Socket socket = plain.accept()) {
                        socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(UTF_8));
                    } catch (IOException e) {
                        return; // closed
                    }
                }
            }, "plain-text-server");
            answering.setDaemon(true);
            answering.start();
            String https = "https://127.0.0.1:" + plain.getLocalPort();
            GcsStorage storage = open("gs://" + BUCKET + "/repo", 0, CHUNK, Map.of(GcsDeclarations.ENDPOINT.name(), https));

            assertThatThrownBy(() -> storage.stat("k"))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.TLS))
                    .hasMessageStartingWith("TLS problem: gs://fault-bucket/repo/ (stat 'k'): SSL")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread accepting = new Thread(() -> {
                while (!silent.isClosed()) {
                    try {
                        accepted.add(silent.accept()); // and never answer
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-server");
            accepting.setDaemon(true);
            accepting.start();
            Map<String, String> values = Map.of(GcsDeclarations.ENDPOINT.name(), "http://127.0.0.1:" + silent.getLocalPort(),
                    GcsDeclarations.CHUNK_SIZE.name(), Integer.toString(CHUNK));
            GcsSettings settings = GcsSettings.from(Settings.of(values))
                    .withRetries(1, Duration.ofMillis(10), Duration.ofMillis(10))
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofMillis(300));
            GcsStorage storage = GcsStorage.open(GcsLocation.of(URI.create("gs://" + BUCKET + "/repo")), settings);
            opened.add(storage);

            assertThatThrownBy(() -> storage.stat("k"))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE))
                    .hasMessageStartingWith("endpoint unreachable: gs://fault-bucket/repo/ (stat 'k'): SocketTimeoutException");
            assertThat(accepted).as("one attempt and one retry").hasSize(2);
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    // ---- listing ----

    @Test
    void listFetchesPagesAsTheStreamIsConsumed() throws Exception {
        GcsStorage storage = open();
        server.setListPageSize(10);
        for (int i = 0; i < 35; i++) {
            storage.createIfAbsent(String.format("l/%02d", i), stream("x"));
        }
        server.clearRequests();

        try (Stream<ObjectInfo> list = storage.list("l/")) {
            assertThat(list.limit(5).count()).isEqualTo(5);
        }
        assertThat(server.requests()).hasSize(1);

        server.clearRequests();
        try (Stream<ObjectInfo> list = storage.list("l/")) {
            assertThat(list.count()).isEqualTo(35);
        }
        assertThat(server.requests()).hasSize(4)
                .allSatisfy(r -> assertThat(r).startsWith("GET /storage/v1/b/fault-bucket/o?").contains("&prefix=repo/l/&"));
    }

    @Test
    void aListingThatFailsLaterFailsTheStreamWithTheReason() throws Exception {
        GcsStorage storage = open("gs://" + BUCKET + "/repo", 0, CHUNK, Map.of());
        server.setListPageSize(2);
        for (String key : List.of("a", "b", "c")) {
            storage.createIfAbsent(key, stream(key));
        }
        try (Stream<ObjectInfo> list = storage.list("")) {
            java.util.Iterator<ObjectInfo> it = list.iterator();
            assertThat(it.next().key()).isEqualTo("a");
            server.failNextRequests(1, 403);
            assertThatThrownBy(() -> {
                it.next();
                it.next();
            }).isInstanceOf(java.io.UncheckedIOException.class)
                    .cause().isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.ACCESS_DENIED));
        }
    }

    // ---- checksums ----

    @Test
    void corruptionAtTheServerFailsTheCreateAndRemovesTheObject() throws IOException {
        GcsStorage storage = open();
        for (InputStream content : List.of(stream("small object"), pattern(700_000))) {
            server.corruptNextUpload();

            assertThatThrownBy(() -> storage.createIfAbsent("k", content))
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("crc32c mismatch storing gs://fault-bucket/repo/k: sent ")
                    .hasMessageEndingWith("; the object was deleted");
            assertThat(server.objectNames(BUCKET)).isEmpty();
        }
        assertThat(storage.createIfAbsent("k", stream("good"))).isTrue();
    }

    @Test
    void bitRotIsCaughtAtTheEndOfAWholeRead() throws IOException {
        GcsStorage storage = open();
        storage.createIfAbsent("k", pattern(100_000));
        server.corruptStoredObject(BUCKET, "repo/k");

        try (InputStream in = storage.read("k")) {
            assertThatThrownBy(in::readAllBytes)
                    .isInstanceOf(IOException.class)
                    .hasMessageStartingWith("crc32c mismatch reading gs://fault-bucket/repo/k: the object's is ");
        }
        try (InputStream in = storage.readRange("k", 0, 10)) {
            assertThat(in.readAllBytes()).as("a range is not checked").hasSize(10);
        }
    }

    // ---- refusals ----

    @Test
    void missingBucketIsNamedWithTheHintWhateverTheOperation() throws IOException {
        GcsStorage storage = open("gs://no-such-bucket/repo", 2, CHUNK, Map.of());
        String message = "no such bucket: bucket 'no-such-bucket' does not exist (gs://no-such-bucket/repo/); "
                + "create it with: walstash check --create-bucket";

        for (ThrowingCall call : List.<ThrowingCall>of(
                () -> storage.createIfAbsent("k", stream("x")),
                () -> storage.createIfAbsent("big", pattern(700_000)),
                () -> storage.stat("k"),
                () -> storage.read("k"),
                () -> storage.list("").close(),
                () -> storage.delete("k"))) {
            assertThatThrownBy(call::run)
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.NO_SUCH_BUCKET))
                    .hasMessage(message);
        }
    }

    @Test
    void createBucketIfMissingNeedsAProjectAndMakesTheBucketOnce() throws IOException {
        GcsStorage without = open("gs://new-bucket/repo", 2, CHUNK, Map.of());
        assertThatThrownBy(without::createBucketIfMissing)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot create bucket 'new-bucket': no project given; set WALSTASH_GCS_PROJECT or GOOGLE_CLOUD_PROJECT");

        GcsStorage storage = open("gs://new-bucket/repo", 2, CHUNK, Map.of("GOOGLE_CLOUD_PROJECT", "my-project"));
        assertThat(storage.createBucketIfMissing()).isTrue();
        assertThat(storage.createBucketIfMissing()).isFalse();
        assertThat(server.requests()).anyMatch(r -> r.equals("POST /storage/v1/b?project=my-project")
                || r.startsWith("POST /storage/v1/b?project=my-project&"));
        assertThat(storage.createIfAbsent("k", stream("x"))).isTrue();
        assertThat(server.objectNames("new-bucket")).containsExactly("repo/k");

        assertThat(storage.abortIncompleteUploads(7)).isInstanceOf(UploadCleanup.NotApplicable.class);
        assertThat(storage.versioning().state()).isEqualTo(Versioning.State.OFF);
        server.versioning("new-bucket", true);
        assertThat(storage.versioning()).isEqualTo(new Versioning(Versioning.State.ON, "the bucket's versioning.enabled is true"));
    }

    @Test
    void refusedCredentialsAreAccessDenied() throws IOException {
        GcsStorage storage = open();
        for (int status : new int[] {401, 403}) {
            server.failNextRequests(1, status);
            assertThatThrownBy(() -> storage.stat("k"))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(Reason.ACCESS_DENIED))
                    .hasMessageStartingWith("access denied: gs://fault-bucket/repo/ (stat 'k'): HTTP " + status)
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void readOfMissingObjectInAnExistingBucketIsNoSuchObject() throws IOException {
        GcsStorage storage = open();
        assertThatThrownBy(() -> storage.read("k")).isInstanceOf(NoSuchObjectException.class);
        assertThat(storage.stat("k")).isEmpty();
    }

    // ---- batch delete ----

    @Test
    void deleteAllGoesInBatchesOfAHundred() throws Exception {
        GcsStorage storage = open();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            keys.add("d/" + i);
        }
        for (String key : keys.subList(0, 240)) {
            storage.createIfAbsent(key, stream(key));
        }
        storage.createIfAbsent("keep", stream("keep"));
        server.clearRequests();

        storage.deleteAll(keys);

        assertThat(server.requests()).filteredOn(r -> r.startsWith("POST /batch/storage/v1")).hasSize(3);
        assertThat(server.requests()).filteredOn(r -> r.startsWith("DELETE /storage/v1/b/fault-bucket/o/")).hasSize(250);
        assertThat(server.objectNames(BUCKET)).containsExactly("repo/keep");
    }

    @Test
    void aFailedBatchIsDoneOneByOne() throws Exception {
        GcsStorage storage = open();
        for (String key : List.of("a", "b", "c")) {
            storage.createIfAbsent(key, stream(key));
        }
        server.clearRequests();
        server.failNextRequests(1, 503);

        storage.deleteAll(List.of("a", "b", "c", "missing"));

        assertThat(server.objectNames(BUCKET)).isEmpty();
        assertThat(server.requests().stream().map(r -> r.replaceAll("\\?.*", "")).collect(Collectors.toList()))
                .startsWith("POST /batch/storage/v1")
                .contains("DELETE /storage/v1/b/fault-bucket/o/repo%2Fa", "DELETE /storage/v1/b/fault-bucket/o/repo%2Fmissing");
    }

    // ---- helpers ----

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    private static InputStream stream(String s) {
        return new ByteArrayInputStream(s.getBytes(UTF_8));
    }

    /** {@code size} bytes that are a function of their position. */
    private static InputStream pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 8));
        }
        return new ByteArrayInputStream(bytes);
    }

    private static String read(GcsStorage storage, String key) throws IOException {
        try (InputStream in = storage.read(key)) {
            return new String(in.readAllBytes(), UTF_8);
        }
    }

    /** Passes its source on and runs {@code action} once, when {@code at} bytes have been read. */
    private static final class ActionAtInputStream extends InputStream {
        private final InputStream source;
        private final long at;
        private final Runnable action;
        private long position;
        private boolean done;

        ActionAtInputStream(InputStream source, long at, Runnable action) {
            this.source = source;
            this.at = at;
            this.action = action;
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
            if (!done && position >= at) {
                done = true;
                action.run();
            }
            int limit = done ? len : (int) Math.min(len, at - position);
            int n = source.read(b, off, Math.max(1, limit));
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }
}
