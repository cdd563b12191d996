package io.walstash.storage.gcs;

import com.google.api.gax.paging.Page;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Bucket;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage.BlobField;
import com.google.cloud.storage.Storage.BlobListOption;
import com.google.cloud.storage.Storage.BlobSourceOption;
import com.google.cloud.storage.Storage.BlobTargetOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.StorageBatch;
import com.google.cloud.storage.StorageBatchResult;
import com.google.cloud.storage.StorageException;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import io.walstash.storage.gcs.GcsErrors.NotFound;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.CRC32C;

/**
 * A {@link Storage} in a Google Cloud Storage bucket: key {@code a/b} is the object
 * {@code prefix + "a/b"}, reached over the JSON API (HTTP) with google-cloud-storage.
 *
 * <p>Creates carry the precondition {@code ifGenerationMatch=0}, so GCS itself refuses to
 * overwrite and decides races. Content up to one chunk goes as a single multipart upload; larger
 * content as a resumable upload in chunks, which leaves no object unless it is finalised. Either
 * way the CRC32C of the bytes sent is checked by the service (the client sends it) and again by
 * this class against what the service reports for the new object; a whole-object read checks the
 * bytes received against the object's CRC32C.
 */
public final class GcsStorage implements Storage, CreatesBucket {
    /** Custom metadata naming the create that wrote an object, to recognise our own create after a lost response. */
    static final String UPLOAD_ID = "walstash-upload-id";
    private static final int BATCH_SIZE = 100;
    private static final int COPY_BUFFER = 64 * 1024;

    private final GcsLocation location;
    private final com.google.cloud.storage.Storage client;
    private final int chunkSize;
    private final Optional<String> project;
    /** Set once any request showed that the bucket exists; until then a 404 on an object is checked against the bucket. */
    private volatile boolean bucketSeen;

    GcsStorage(GcsLocation location, com.google.cloud.storage.Storage client, int chunkSize, Optional<String> project) {
        this.location = Objects.requireNonNull(location, "location");
        this.client = Objects.requireNonNull(client, "client");
        this.chunkSize = chunkSize;
        this.project = Objects.requireNonNull(project, "project");
    }

    /** Builds the client for {@code settings}; fails with NO_CREDENTIALS when no usable credentials are found. */
    static GcsStorage open(GcsLocation location, GcsSettings settings) throws IOException {
        GcsClients.Client client = GcsClients.create(location, settings);
        return new GcsStorage(location, client.storage(), settings.chunkSize(), client.project());
    }

    @Override
    public URI location() {
        return location.uri();
    }

    // ---- create ----

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        String name = location.objectName(key);
        Objects.requireNonNull(content, "content");
        String uploadId = UUID.randomUUID().toString();
        BlobInfo info = BlobInfo.newBuilder(location.bucket(), name)
                .setContentType("application/octet-stream")
                .setMetadata(Map.of(UPLOAD_ID, uploadId))
                .build();
        // The caller's stream fails with its own exception, untranslated.
        byte[] head = content.readNBytes(chunkSize + 1);
        CRC32C crc = new CRC32C();
        BlobInfo stored;
        long size;
        try {
            if (head.length <= chunkSize) {
                crc.update(head);
                size = head.length;
                // The client computes the CRC32C of the bytes and sends it for the service to check.
                stored = client.create(info, head, BlobTargetOption.doesNotExist(), BlobTargetOption.disableGzipContent());
            } else {
                Upload upload = resumableUpload(info, head, content, crc);
                stored = upload.stored();
                size = upload.size();
            }
        } catch (RuntimeException | IOException e) {
            if (e instanceof InputFailure input) {
                throw input.getCause();
            }
            if (GcsErrors.status(e) == 412) {
                Optional<BlobInfo> ours = ownObject(key, name, uploadId);
                if (ours.isPresent() && head.length <= chunkSize) {
                    verifyStored(key, uploadId, ours.get(), crc, head.length);
                }
                return ours.isPresent();
            }
            throw translate(e, "create '" + key + "'", NotFound.BUCKET);
        }
        bucketSeen = true;
        verifyStored(key, uploadId, stored, crc, size);
        return true;
    }

    private record Upload(BlobInfo stored, long size) {
    }

    /** An IOException of the caller's content stream, carried past the SDK's exception handling. */
    private static final class InputFailure extends IOException {
        InputFailure(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /**
     * Streams {@code head} and the rest of {@code content} through a resumable upload session. The
     * session is finalised only by closing the channel, which happens only after the whole content
     * was read: on any failure the channel is dropped unclosed, the session is never finalised and
     * no object appears (GCS discards unfinished sessions after a week).
     *
     * <p>{@code Storage.writer} rather than {@code blobWriteSession}: in this client version only
     * the former retries a failed chunk and sends the running CRC32C ({@code x-goog-hash}) for the
     * service to check. It doesn't hand back the new object's metadata, so that is read after.
     */
    private Upload resumableUpload(BlobInfo info, byte[] head, InputStream content, CRC32C crc) throws IOException {
        WriteChannel channel = client.writer(info, BlobWriteOption.doesNotExist());
        channel.setChunkSize(chunkSize);
        writeFully(channel, head, head.length);
        crc.update(head);
        long size = head.length;
        byte[] buffer = new byte[COPY_BUFFER];
        while (true) {
            int n;
            try {
                n = content.read(buffer);
            } catch (IOException e) {
                throw new InputFailure(e);
            }
            if (n < 0) {
                break;
            }
            crc.update(buffer, 0, n);
            writeFully(channel, buffer, n);
            size += n;
        }
        channel.close();
        Blob stored = client.get(info.getBlobId());
        if (stored == null) {
            throw new IOException("the upload of " + location.describe(location.keyOf(info.getName()))
                    + " was finalised, but the object is gone");
        }
        return new Upload(stored, size);
    }

    private static void writeFully(WriteChannel channel, byte[] bytes, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /**
     * After a 412: the key is taken, by someone else, or by this very create when a retry followed
     * an attempt whose response was lost. Only the latter carries our upload id; returns it then.
     */
    private Optional<BlobInfo> ownObject(String key, String name, String uploadId) throws IOException {
        Blob existing;
        try {
            existing = client.get(BlobId.of(location.bucket(), name));
        } catch (RuntimeException e) {
            throw translate(e, "stat '" + key + "'", NotFound.OTHER);
        }
        bucketSeen = true;
        boolean ours = existing != null && existing.getMetadata() != null
                && uploadId.equals(existing.getMetadata().get(UPLOAD_ID));
        return ours ? Optional.of(existing) : Optional.empty();
    }

    /** Compares the service's CRC32C and size of the new object with the bytes sent; removes the object on a mismatch. */
    private void verifyStored(String key, String uploadId, BlobInfo stored, CRC32C crc, long size) throws IOException {
        String storedId = stored.getMetadata() == null ? null : stored.getMetadata().get(UPLOAD_ID);
        if (storedId != null && !storedId.equals(uploadId)) {
            return; // deleted and created anew by someone else since our upload; nothing of ours to check
        }
        String sent = Crc32c.base64(crc);
        String reported = stored.getCrc32c();
        boolean sizeDiffers = stored.getSize() != null && stored.getSize() != size;
        if (reported == null && !sizeDiffers) {
            return; // nothing to compare with (some emulators report no checksum)
        }
        if (sent.equals(reported) && !sizeDiffers) {
            return;
        }
        IOException mismatch = new IOException("crc32c mismatch storing " + location.describe(key) + ": sent " + size
                + " bytes with crc32c " + sent + ", the service stored " + stored.getSize() + " bytes with crc32c "
                + reported + "; the object was deleted");
        try {
            if (stored.getGeneration() != null) {
                client.delete(stored.getBlobId().getBucket(), stored.getName(), BlobSourceOption.generationMatch(stored.getGeneration()));
            } else {
                client.delete(BlobId.of(location.bucket(), stored.getName()));
            }
        } catch (RuntimeException e) {
            mismatch = new IOException("crc32c mismatch storing " + location.describe(key) + ": sent crc32c " + sent
                    + ", the service stored " + reported + "; deleting the bad object failed too, delete it by hand", e);
        }
        throw mismatch;
    }

    // ---- read ----

    @Override
    public InputStream read(String key) throws IOException {
        BlobInfo info = requireObject(key);
        long size = info.getSize() == null ? -1 : info.getSize();
        return open(key, info, 0, size, size, info.getCrc32c());
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("cannot read " + length + " bytes at offset " + offset
                    + " of '" + key + "': offset and length must not be negative");
        }
        BlobInfo info = requireObject(key);
        long size = info.getSize() == null ? 0 : info.getSize();
        long available = Math.max(0, size - offset);
        long count = Math.min(length, available);
        if (count == 0) {
            // GCS answers a range at or past the end with 416; there is nothing to fetch.
            return InputStream.nullInputStream();
        }
        return open(key, info, offset, offset + count, count, null);
    }

    /** Streams bytes [from, to) of the generation described by {@code info}; checks CRC32C when given. */
    private InputStream open(String key, BlobInfo info, long from, long to, long expectedLength, String crc32c) throws IOException {
        ReadChannel channel;
        try {
            // Pinned to the generation just looked up: a replaced object can't mix into this read.
            channel = client.reader(BlobId.of(location.bucket(), info.getName(), info.getGeneration()));
            if (from > 0) {
                channel.seek(from);
            }
            if (to >= 0 && (from > 0 || to < (info.getSize() == null ? Long.MAX_VALUE : info.getSize()))) {
                channel.limit(to);
            }
        } catch (RuntimeException e) {
            throw translate(e, "read '" + key + "'", NotFound.OTHER);
        }
        return new GcsInputStream(channel, location, key, expectedLength, crc32c);
    }

    private BlobInfo requireObject(String key) throws IOException {
        return findObject(key).orElseThrow(() -> new NoSuchObjectException(key));
    }

    /** The object's metadata, or empty when it doesn't exist (after making sure the bucket does). */
    private Optional<BlobInfo> findObject(String key) throws IOException {
        String name = location.objectName(key);
        Blob blob;
        try {
            blob = client.get(BlobId.of(location.bucket(), name));
        } catch (RuntimeException e) {
            throw translate(e, "stat '" + key + "'", NotFound.OTHER);
        }
        if (blob == null) {
            checkBucket();
            return Optional.empty();
        }
        bucketSeen = true;
        return Optional.of(blob);
    }

    /**
     * The JSON API answers a missing object and a missing bucket with the same 404, which the
     * client turns into "no object". Once per storage, such an answer is checked with a
     * one-object listing of the bucket, so that a missing bucket is reported as one.
     */
    private void checkBucket() throws IOException {
        if (bucketSeen) {
            return;
        }
        try {
            client.list(location.bucket(), listOptions(location.prefix(), BlobListOption.pageSize(1)));
            bucketSeen = true;
        } catch (RuntimeException e) {
            if (GcsErrors.status(e) == 404) {
                throw GcsErrors.noSuchBucket(location, null);
            }
            // Anything else (say, no list permission) leaves the answer as it was.
        }
    }

    // ---- stat and list ----

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return findObject(key).map(info -> objectInfo(key, info));
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        String prefix = location.listPrefix(keyPrefix);
        Page<Blob> first;
        try {
            first = client.list(location.bucket(), listOptions(prefix,
                    BlobListOption.fields(BlobField.NAME, BlobField.SIZE, BlobField.UPDATED, BlobField.TIME_CREATED)));
        } catch (RuntimeException e) {
            throw translate(e, "list '" + keyPrefix + "'", NotFound.BUCKET);
        }
        bucketSeen = true;
        Iterator<Blob> blobs = first.iterateAll().iterator();
        Iterator<ObjectInfo> infos = new Iterator<>() {
            private ObjectInfo next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    Blob blob;
                    try {
                        if (!blobs.hasNext()) {
                            return false;
                        }
                        blob = blobs.next();
                    } catch (RuntimeException e) {
                        throw new UncheckedIOException(translate(e, "list '" + keyPrefix + "'", NotFound.BUCKET));
                    }
                    String key = location.keyOf(blob.getName());
                    if (!key.isEmpty()) { // a "folder" placeholder named like the prefix itself is not a key
                        next = objectInfo(key, blob);
                    }
                }
                return true;
            }

            @Override
            public ObjectInfo next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                ObjectInfo result = next;
                next = null;
                return result;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(infos, Spliterator.NONNULL | Spliterator.DISTINCT), false);
    }

    private static BlobListOption[] listOptions(String prefix, BlobListOption... more) {
        List<BlobListOption> options = new ArrayList<>(List.of(more));
        if (!prefix.isEmpty()) {
            options.add(BlobListOption.prefix(prefix));
        }
        return options.toArray(BlobListOption[]::new);
    }

    private static ObjectInfo objectInfo(String key, BlobInfo info) {
        OffsetDateTime time = info.getUpdateTimeOffsetDateTime() != null
                ? info.getUpdateTimeOffsetDateTime() : info.getCreateTimeOffsetDateTime();
        return new ObjectInfo(key, info.getSize() == null ? 0 : info.getSize(), time == null ? Instant.EPOCH : time.toInstant());
    }

    // ---- delete ----

    @Override
    public void delete(String key) throws IOException {
        String name = location.objectName(key);
        boolean deleted;
        try {
            deleted = client.delete(BlobId.of(location.bucket(), name));
        } catch (RuntimeException e) {
            throw translate(e, "delete '" + key + "'", NotFound.OTHER);
        }
        if (deleted) {
            bucketSeen = true;
        } else {
            checkBucket();
        }
    }

    /**
     * Deletes through the JSON API's batch endpoint, 100 objects per request. A batch that fails
     * as a whole, or single deletes in it that fail, are done again one by one (with the client's
     * retries); a missing object is no error.
     */
    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        List<String> all = List.copyOf(keys);
        List<String> names = new ArrayList<>(all.size());
        for (String key : all) {
            names.add(location.objectName(key)); // every key is checked before anything is deleted
        }
        for (int start = 0; start < all.size(); start += BATCH_SIZE) {
            int end = Math.min(all.size(), start + BATCH_SIZE);
            List<String> retry = deleteBatch(all.subList(start, end), names.subList(start, end));
            for (String key : retry) {
                delete(key);
            }
        }
    }

    /** Returns the keys whose deletion must be tried again one by one. */
    private List<String> deleteBatch(List<String> keys, List<String> names) throws IOException {
        StorageBatch batch = client.batch();
        List<StorageBatchResult<Boolean>> results = new ArrayList<>(names.size());
        for (String name : names) {
            results.add(batch.delete(BlobId.of(location.bucket(), name)));
        }
        try {
            batch.submit();
        } catch (RuntimeException e) {
            int status = GcsErrors.status(e);
            if (status == 401 || status == 403) {
                throw translate(e, "delete " + keys.size() + " objects", NotFound.OTHER);
            }
            return keys; // 429, 5xx, connection trouble: one by one, with retries
        }
        List<String> retry = new ArrayList<>();
        boolean anyDeleted = false;
        for (int i = 0; i < results.size(); i++) {
            StorageBatchResult<Boolean> result = results.get(i);
            try {
                if (!result.completed()) {
                    retry.add(keys.get(i));
                } else if (result.get()) {
                    anyDeleted = true;
                }
            } catch (StorageException e) {
                retry.add(keys.get(i));
            }
        }
        if (anyDeleted) {
            bucketSeen = true;
        } else if (retry.isEmpty()) {
            checkBucket();
        }
        return retry;
    }

    // ---- bucket ----

    @Override
    public boolean createBucketIfMissing() throws IOException {
        try {
            Bucket existing = client.get(location.bucket());
            if (existing != null) {
                bucketSeen = true;
                return false;
            }
        } catch (RuntimeException e) {
            throw translate(e, "get bucket", NotFound.OTHER);
        }
        if (project.isEmpty()) {
            throw new IllegalArgumentException("cannot create bucket '" + location.bucket() + "': no project given; set "
                    + GcsDeclarations.PROJECT + " or " + GcsDeclarations.PROJECT.aliases().get(0).name());
        }
        try {
            client.create(BucketInfo.of(location.bucket()));
        } catch (RuntimeException e) {
            if (GcsErrors.status(e) == 409) {
                bucketSeen = true;
                return false; // created meanwhile, or taken by another project (the next request will tell)
            }
            throw translate(e, "create bucket in project '" + project.get() + "'", NotFound.OTHER);
        }
        bucketSeen = true;
        return true;
    }

    /**
     * None needed: this adapter uploads through the JSON API (one request, or a resumable session),
     * and GCS ends a resumable session a week after it began; no parts are left behind. (A bucket's
     * AbortIncompleteMultipartUpload rule is for the XML API's multipart uploads, which walstash does
     * not make.)
     */
    @Override
    public UploadCleanup abortIncompleteUploads(int days) {
        return new UploadCleanup.NotApplicable("GCS ends an unfinished resumable upload a week after it began");
    }

    /** The bucket's {@code versioning.enabled}: absent or false is off. */
    @Override
    public Versioning versioning() throws IOException {
        Bucket bucket;
        try {
            bucket = client.get(location.bucket());
        } catch (RuntimeException e) {
            throw translate(e, "get bucket", NotFound.OTHER);
        }
        if (bucket == null) {
            return new Versioning(Versioning.State.UNKNOWN, "bucket '" + location.bucket() + "' not found");
        }
        return Boolean.TRUE.equals(bucket.versioningEnabled())
                ? new Versioning(Versioning.State.ON, "the bucket's versioning.enabled is true")
                : new Versioning(Versioning.State.OFF, "the bucket's versioning.enabled is not set");
    }

    @Override
    public void close() throws IOException {
        try {
            client.close();
        } catch (IOException | RuntimeException e) {
            throw translate(e, "close", NotFound.OTHER);
        } catch (Exception e) {
            throw new IOException("closing the GCS client failed: " + e.getClass().getSimpleName(), e);
        }
    }

    private IOException translate(Throwable e, String operation, NotFound notFound) {
        return GcsErrors.translate(e, location, operation, notFound);
    }

    @Override
    public String toString() {
        return "GcsStorage[" + location + "]";
    }
}
