package io.walstash.storage.azure;

import com.azure.core.http.HttpClient;
import com.azure.core.http.okhttp.OkHttpAsyncHttpClientBuilder;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.batch.BlobBatch;
import com.azure.storage.blob.batch.BlobBatchClient;
import com.azure.storage.blob.batch.BlobBatchClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/**
 * A {@link Storage} in an Azure Blob container: key {@code k} is the block blob {@code PREFIX + k}.
 *
 * <p>Creates never overwrite: content that fits in one block is sent as one Put Blob with
 * {@code If-None-Match: *}; larger content is staged as blocks with unique IDs and published by one
 * Put Block List with {@code If-None-Match: *}. Staged but uncommitted blocks are no object (Azure
 * drops them within a week), so a failed or losing create leaves nothing that looks complete. The
 * blob's Content-MD5 is set from the content in both cases.
 *
 * <p>Requests are retried with exponential backoff and a per-try timeout. Failures are reported as
 * {@link StorageFailure} with one-line messages that never carry a credential.
 */
public final class AzureStorage implements Storage, CreatesBucket {
    /** Azure's limit of committed blocks per blob. */
    static final int MAX_BLOCKS = 50_000;
    /** Azure's limit of sub-requests per batch. */
    static final int MAX_BATCH = 256;
    private static final int MAX_BLOB_NAME = 1024;

    private final AzureLocation location;
    private final AzureSettings settings;
    private final BlobContainerClient container;
    private final AzureErrors errors;
    private final OkHttpClient okHttp;
    private final ExecutorService threads;
    private volatile BlobBatchClient batchClient;
    private volatile boolean batchUnsupported;

    private AzureStorage(AzureLocation location, AzureSettings settings, BlobContainerClient container, AzureErrors errors,
            OkHttpClient okHttp, ExecutorService threads) {
        this.location = location;
        this.settings = settings;
        this.container = container;
        this.errors = errors;
        this.okHttp = okHttp;
        this.threads = threads;
    }

    /**
     * Builds the client; makes no request, so a missing container or a bad credential shows on the
     * first operation (or through {@link #createBucketIfMissing()}).
     */
    static AzureStorage open(AzureLocation location, AzureSettings settings) throws StorageFailure {
        ExecutorService threads = Executors.newCachedThreadPool(daemonThreads());
        Dispatcher dispatcher = new Dispatcher(threads);
        // Downloads go through OkHttp's asynchronous calls, which it limits to 5 per host by default.
        dispatcher.setMaxRequests(256);
        dispatcher.setMaxRequestsPerHost(64);
        OkHttpClient okHttp = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(16, 1, TimeUnit.MINUTES))
                .build();
        try {
            HttpClient http = new OkHttpAsyncHttpClientBuilder(okHttp)
                    .connectionTimeout(Duration.ofSeconds(10))
                    .build();
            RequestRetryOptions retries = new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, settings.maxRetries() + 1,
                    settings.tryTimeout(), settings.retryDelay(),
                    max(settings.retryDelay(), AzureSettings.MAX_RETRY_DELAY), null);
            BlobServiceClientBuilder builder = new BlobServiceClientBuilder().httpClient(http).retryOptions(retries);
            switch (settings.auth()) {
                case CONNECTION_STRING -> {
                    try {
                        builder.connectionString(settings.secret());
                    } catch (RuntimeException e) {
                        // No cause: the SDK's message may quote the string.
                        throw new StorageFailure(Reason.NO_CREDENTIALS, AzureDeclarations.CONNECTION_STRING
                                + " is malformed; expected AccountName=...;AccountKey=... or BlobEndpoint=...;SharedAccessSignature=...");
                    }
                }
                case SHARED_KEY -> builder.credential(new StorageSharedKeyCredential(settings.account().orElseThrow(), settings.secret()));
                case SAS_TOKEN -> builder.sasToken(settings.secret());
                case DEFAULT_CREDENTIAL -> builder.credential(DefaultCredential.create());
                default -> throw new IllegalStateException("unknown auth " + settings.auth());
            }
            BlobServiceClient service;
            try {
                settings.endpoint().ifPresent(builder::endpoint);
                service = builder.buildClient();
            } catch (IllegalArgumentException | IllegalStateException e) {
                // Such as a token credential over plain http. Without the cause, and scrubbed, in case the SDK quotes a secret.
                AzureErrors scrubber = new AzureErrors(location.container(), "", Arrays.asList(settings.secret(), sasSignature(settings)));
                throw new StorageFailure(Reason.NO_CREDENTIALS, "cannot set up the Azure client for container '"
                        + location.container() + "': " + scrubber.scrub(String.valueOf(e.getMessage())));
            }
            BlobContainerClient container = service.getBlobContainerClient(location.container());
            AzureErrors errors = new AzureErrors(location.container(), service.getAccountUrl(),
                    Arrays.asList(settings.secret(), sasSignature(settings)));
            return new AzureStorage(location, settings, container, errors, okHttp, threads);
        } catch (StorageFailure | RuntimeException | Error e) {
            threads.shutdownNow();
            throw e;
        }
    }

    @Override
    public URI location() {
        return location.uri();
    }

    // ---- create ----

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        Objects.requireNonNull(content, "content");
        BlockBlobClient blob = blob(key).getBlockBlobClient();
        int blockSize = settings.blockSize();
        MessageDigest md5 = md5();
        // Sized to the content, so that small objects (most WAL) don't take a whole block of memory.
        byte[] first = content.readNBytes(blockSize);
        int next = first.length < blockSize ? -1 : content.read();
        if (next < 0) {
            md5.update(first);
            return putBlob(key, blob, first, first.length, md5.digest());
        }
        return putBlocks(key, blob, content, first, next, md5);
    }

    private boolean putBlob(String key, BlockBlobClient blob, byte[] data, int length, byte[] md5) throws IOException {
        try {
            blob.uploadWithResponse(new BlockBlobSimpleUploadOptions(BinaryData.fromByteBuffer(ByteBuffer.wrap(data, 0, length)))
                    .setContentMd5(md5)
                    .setHeaders(headers(null))
                    .setRequestConditions(ifNoneMatchAny()), null, Context.NONE);
            return true;
        } catch (RuntimeException e) {
            if (!AzureErrors.isTaken(e)) {
                throw errors.translate(e, "create '" + key + "'");
            }
            if (AzureErrors.isCode(e, BlobErrorCode.BLOB_ALREADY_EXISTS) && stat(key).isEmpty()) {
                // Only uncommitted blocks (of a failed create) are there, which Azurite counts as a blob
                // for Put Blob but not for Put Block List: publish through a block list instead.
                String id = blockId(UUID.randomUUID().toString(), 0);
                try {
                    blob.stageBlockWithResponse(new BlockBlobStageBlockOptions(id,
                            BinaryData.fromByteBuffer(ByteBuffer.wrap(data, 0, length))).setContentMd5(md5), null, Context.NONE);
                } catch (RuntimeException stageFailure) {
                    throw errors.translate(stageFailure, "create '" + key + "'");
                }
                return commit(key, blob, List.of(id), md5);
            }
            return false;
        }
    }

    /**
     * Stages {@code first}, its carried-over byte {@code next} and the rest of {@code content} as
     * blocks, up to {@link AzureSettings#maxBuffers()} of them uploading at once, then commits them.
     */
    private boolean putBlocks(String key, BlockBlobClient blob, InputStream content, byte[] first, int next, MessageDigest md5)
            throws IOException {
        int blockSize = settings.blockSize();
        String uploadId = UUID.randomUUID().toString();
        List<String> ids = new ArrayList<>();
        Deque<Future<?>> inFlight = new ArrayDeque<>();
        boolean done = false;
        try {
            byte[] block = first;
            int length = blockSize;
            int carry = next;
            while (true) {
                if (ids.size() == MAX_BLOCKS) {
                    throw new IOException("cannot create '" + key + "' in container '" + location.container() + "': it is larger than "
                            + MAX_BLOCKS + " blocks of " + blockSize + " bytes; raise " + AzureDeclarations.BLOCK_SIZE);
                }
                String id = blockId(uploadId, ids.size());
                ids.add(id);
                md5.update(block, 0, length);
                stage(key, blob, id, block, length, inFlight);
                if (carry < 0) {
                    break;
                }
                block = new byte[blockSize];
                block[0] = (byte) carry;
                length = 1 + content.readNBytes(block, 1, blockSize - 1);
                carry = length < blockSize ? -1 : content.read();
            }
            while (!inFlight.isEmpty()) {
                await(key, inFlight.removeFirst());
            }
            done = true;
        } finally {
            if (!done) {
                inFlight.forEach(f -> f.cancel(true));
            }
        }
        return commit(key, blob, ids, md5.digest());
    }

    /** Publishes the staged blocks {@code ids} as the blob, unless it exists. */
    private boolean commit(String key, BlockBlobClient blob, List<String> ids, byte[] md5) throws IOException {
        try {
            blob.commitBlockListWithResponse(new BlockBlobCommitBlockListOptions(ids)
                    .setHeaders(headers(md5))
                    .setRequestConditions(ifNoneMatchAny()), null, Context.NONE);
            return true;
        } catch (RuntimeException e) {
            if (AzureErrors.isTaken(e)) {
                return false;
            }
            // A concurrent creator's commit discards our uncommitted blocks; then the key is simply taken.
            if (AzureErrors.isCode(e, BlobErrorCode.INVALID_BLOCK_LIST) && stat(key).isPresent()) {
                return false;
            }
            throw errors.translate(e, "create '" + key + "'");
        }
    }

    private void stage(String key, BlockBlobClient blob, String id, byte[] block, int length, Deque<Future<?>> inFlight)
            throws IOException {
        Runnable upload = () -> blob.stageBlockWithResponse(
                new BlockBlobStageBlockOptions(id, BinaryData.fromByteBuffer(ByteBuffer.wrap(block, 0, length)))
                        .setContentMd5(blockMd5(block, length)), null, Context.NONE);
        if (settings.maxBuffers() == 1) {
            try {
                upload.run();
            } catch (RuntimeException e) {
                throw errors.translate(e, "create '" + key + "'");
            }
            return;
        }
        while (inFlight.size() >= settings.maxBuffers()) {
            await(key, inFlight.removeFirst());
        }
        inFlight.addLast(threads.submit(upload));
    }

    private void await(String key, Future<?> staged) throws IOException {
        try {
            staged.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading '" + key + "'");
        } catch (CancellationException e) {
            throw new InterruptedIOException("upload of '" + key + "' was cancelled");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw errors.translate(r, "create '" + key + "'");
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException("cannot create '" + key + "'", cause);
        }
    }

    /** Every block ID of one upload has the same length, as Azure requires, and no other upload's. */
    static String blockId(String uploadId, int index) {
        String id = String.format("walstash-%s-%06d", uploadId, index);
        return Base64.getEncoder().encodeToString(id.getBytes(StandardCharsets.US_ASCII));
    }

    /** Content type, and for a block list the MD5 of the whole content (a single Put Blob has the service compute it). */
    private static BlobHttpHeaders headers(byte[] md5) {
        return new BlobHttpHeaders().setContentType("application/octet-stream").setContentMd5(md5);
    }

    private static BlobRequestConditions ifNoneMatchAny() {
        return new BlobRequestConditions().setIfNoneMatch("*");
    }

    private static byte[] blockMd5(byte[] block, int length) {
        MessageDigest md5 = md5();
        md5.update(block, 0, length);
        return md5.digest();
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }

    // ---- read ----

    @Override
    public InputStream read(String key) throws IOException {
        return open(key, new BlobRange(0));
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " or length " + length + " for '" + key + "'");
        }
        if (length == 0) {
            // A zero-length range can't be asked of Azure (it would answer with the whole blob).
            if (stat(key).isEmpty()) {
                throw new NoSuchObjectException(key);
            }
            return InputStream.nullInputStream();
        }
        return open(key, new BlobRange(offset, Math.min(length, Long.MAX_VALUE - offset)));
    }

    private InputStream open(String key, BlobRange range) throws IOException {
        BlobClient blob = blob(key);
        try {
            return new TranslatingInputStream(blob.openInputStream(new BlobInputStreamOptions()
                    .setRange(range)
                    .setBlockSize(settings.blockSize())), key);
        } catch (RuntimeException e) {
            if (AzureErrors.isMissingBlob(e)) {
                throw new NoSuchObjectException(key);
            }
            if (AzureErrors.isStatus(e, 416)) {
                // The blob exists and the range starts at or after its end.
                return InputStream.nullInputStream();
            }
            throw errors.translate(e, "read '" + key + "'");
        }
    }

    // ---- stat, list ----

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        BlobClient blob = blob(key);
        try {
            BlobProperties properties = blob.getPropertiesWithResponse(null, null, Context.NONE).getValue();
            return Optional.of(new ObjectInfo(key, properties.getBlobSize(), properties.getLastModified().toInstant()));
        } catch (RuntimeException e) {
            if (AzureErrors.isMissingBlob(e)) {
                return Optional.empty();
            }
            throw errors.translate(e, "stat '" + key + "'");
        }
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        String prefix = location.prefix() + keyPrefix;
        ListBlobsOptions options = new ListBlobsOptions().setMaxResultsPerPage(settings.listPageSize());
        if (!prefix.isEmpty()) {
            options.setPrefix(prefix);
        }
        Iterator<PagedResponse<BlobItem>> pages;
        try {
            pages = container.listBlobs(options, null).iterableByPage().iterator();
            pages.hasNext(); // fetches the first page now, so that a missing container fails here
        } catch (RuntimeException e) {
            throw errors.translate(e, "list '" + keyPrefix + "'");
        }
        Iterator<ObjectInfo> objects = new Iterator<>() {
            private Iterator<BlobItem> page = List.<BlobItem>of().iterator();

            @Override
            public boolean hasNext() {
                try {
                    while (!page.hasNext() && pages.hasNext()) {
                        page = pages.next().getValue().iterator();
                    }
                    return page.hasNext();
                } catch (RuntimeException e) {
                    throw new UncheckedIOException(errors.translate(e, "list '" + keyPrefix + "'"));
                }
            }

            @Override
            public ObjectInfo next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                BlobItem item = page.next();
                return new ObjectInfo(item.getName().substring(location.prefix().length()),
                        item.getProperties().getContentLength(), item.getProperties().getLastModified().toInstant());
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(objects, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    // ---- delete ----

    @Override
    public void delete(String key) throws IOException {
        BlobClient blob = blob(key);
        try {
            blob.deleteIfExistsWithResponse(DeleteSnapshotsOptionType.INCLUDE, null, null, Context.NONE);
        } catch (RuntimeException e) {
            if (AzureErrors.isStatus(e, 404)) {
                return; // also a missing container: nothing to delete
            }
            throw errors.translate(e, "delete '" + key + "'");
        }
    }

    /**
     * Deletes with Blob Batch requests of up to 256 keys. A batch only saves requests: when the
     * service refuses one (Azurite does), its keys are deleted one by one, as are keys whose
     * sub-request failed other than with 404, so that each failure is reported as for
     * {@link #delete(String)}.
     */
    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        List<String> batchable = new ArrayList<>();
        for (String key : new LinkedHashSet<>(keys)) {
            String name = blobName(key);
            // The batch client URL-decodes blob names: keys with '%' or '+' go one by one.
            if (name.indexOf('%') >= 0 || name.indexOf('+') >= 0) {
                delete(key);
            } else {
                batchable.add(key);
            }
        }
        for (int from = 0; from < batchable.size(); from += MAX_BATCH) {
            List<String> chunk = batchable.subList(from, Math.min(batchable.size(), from + MAX_BATCH));
            if (chunk.size() == 1 || batchUnsupported) {
                for (String key : chunk) {
                    delete(key);
                }
            } else {
                deleteBatch(chunk);
            }
        }
    }

    private void deleteBatch(List<String> keys) throws IOException {
        BlobBatchClient client = batchClient();
        BlobBatch batch = client.getBlobBatch();
        Map<String, Response<Void>> responses = new LinkedHashMap<>();
        for (String key : keys) {
            responses.put(key, batch.deleteBlob(location.container(), blobName(key), DeleteSnapshotsOptionType.INCLUDE, null));
        }
        try {
            client.submitBatchWithResponse(batch, false, null, Context.NONE);
        } catch (RuntimeException e) {
            if (AzureErrors.isCode(e, BlobErrorCode.CONTAINER_NOT_FOUND)) {
                return; // nothing to delete
            }
            if (AzureErrors.isStatus(e, 400) || AzureErrors.isStatus(e, 405) || AzureErrors.isStatus(e, 501)) {
                batchUnsupported = true; // the service does not take this batch request: stop trying
            }
            for (String key : keys) {
                delete(key);
            }
            return;
        }
        for (Map.Entry<String, Response<Void>> entry : responses.entrySet()) {
            try {
                entry.getValue().getStatusCode();
            } catch (RuntimeException e) {
                if (!AzureErrors.isStatus(e, 404)) {
                    delete(entry.getKey());
                }
            }
        }
    }

    /** Whether deletes still go in batches (false once the service refused one); for tests. */
    boolean usesBatches() {
        return !batchUnsupported;
    }

    /** The SDK's client of the container; for tests. */
    BlobContainerClient containerClient() {
        return container;
    }

    private BlobBatchClient batchClient() {
        BlobBatchClient client = batchClient;
        if (client == null) {
            client = new BlobBatchClientBuilder(container).buildClient();
            batchClient = client;
        }
        return client;
    }

    // ---- bucket ----

    @Override
    public boolean createBucketIfMissing() throws IOException {
        try {
            return container.createIfNotExistsWithResponse(null, null, Context.NONE).getValue();
        } catch (RuntimeException e) {
            throw errors.translate(e, "create the container");
        }
    }

    /** None needed: Azure discards a blob's uncommitted blocks a week after the last block was staged. */
    @Override
    public UploadCleanup abortIncompleteUploads(int days) {
        return new UploadCleanup.NotApplicable("Azure discards uncommitted blocks a week after they were staged");
    }

    /** Blob versioning is a storage account's setting, made through the management API; the blob API shows no trace of it. */
    @Override
    public Versioning versioning() {
        return new Versioning(Versioning.State.UNKNOWN,
                "blob versioning is a storage-account setting the blob API does not show; see the account's data protection");
    }

    @Override
    public void close() {
        threads.shutdownNow();
        okHttp.connectionPool().evictAll();
    }

    @Override
    public String toString() {
        return "AzureStorage[" + location + " at " + errors.endpoint() + "]";
    }

    // ---- helpers ----

    private BlobClient blob(String key) {
        return container.getBlobClient(blobName(key));
    }

    /** The blob name of {@code key}, which must be a relative '/'-separated path. */
    String blobName(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("storage key '" + key + "' is empty or starts or ends with '/'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("storage key '" + key + "' has an empty, '.' or '..' segment");
            }
        }
        String name = location.blobName(key);
        if (name.length() > MAX_BLOB_NAME) {
            throw new IllegalArgumentException("storage key '" + key + "' makes a blob name longer than " + MAX_BLOB_NAME + " characters");
        }
        return name;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static String sasSignature(AzureSettings settings) {
        String secret = settings.secret();
        if (secret == null) {
            return null;
        }
        for (String part : secret.split("[&;?]")) {
            if (part.startsWith("sig=")) {
                return part.substring(4);
            }
        }
        return null;
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, "walstash-azure-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Passes the SDK's stream on, turning its failures into {@link StorageFailure}s. */
    private final class TranslatingInputStream extends FilterInputStream {
        private final String key;

        TranslatingInputStream(InputStream in, String key) {
            super(in);
            this.key = key;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException | RuntimeException e) {
                throw translate(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                throw translate(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (IOException | RuntimeException e) {
                throw translate(e);
            }
        }

        private IOException translate(Exception e) {
            if (e instanceof StorageFailure failure) {
                return failure;
            }
            RuntimeException runtime = e instanceof RuntimeException r ? r
                    : e.getCause() instanceof RuntimeException r ? r : new UncheckedIOException((IOException) e);
            return errors.translate(runtime, "read '" + key + "'");
        }

        @Override
        public String toString() {
            return "Azure(" + location.container() + "/" + location.blobName(key) + ")";
        }
    }
}
