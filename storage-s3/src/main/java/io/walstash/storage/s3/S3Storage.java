package io.walstash.storage.s3;

import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ExpirationStatus;
import software.amazon.awssdk.services.s3.model.GetBucketVersioningResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.LifecycleRule;
import software.amazon.awssdk.services.s3.model.LifecycleRuleFilter;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Objects in an S3 bucket (or an S3-compatible store such as MinIO) under a key prefix.
 *
 * <p>{@link #createIfAbsent} buffers up to one part in memory: content that ends within it goes up
 * in one PutObject, longer content as a multipart upload whose parts are each held in the same
 * buffer. Both are conditional on {@code If-None-Match: *}, so S3 itself refuses to replace an
 * existing key; a multipart upload that fails for any reason is aborted. Opened through
 * {@link S3StorageProvider}; the client is built on opening and closed with the storage.
 */
public final class S3Storage implements Storage, CreatesBucket {
    private static final Logger LOG = LoggerFactory.getLogger(S3Storage.class);
    private static final int MAX_PARTS = 10_000;
    private static final int DELETE_BATCH = 1000;
    private static final String CONTENT_TYPE = "application/octet-stream";

    private final S3Client client;
    /** The credentials provider when walstash made it (the SDK's default chain), closed with the client. */
    private final AwsCredentialsProvider credentials;
    private final S3Location location;
    private final S3Config config;
    private final S3Errors errors;
    /**
     * Set once the store has refused If-None-Match as a feature it lacks (HTTP 501 or its
     * NotImplemented code, auto mode only): from then on creates use check-then-put (see noteRefusal).
     */
    private volatile boolean ifNoneMatchRefused;
    /** Set once the bucket is known to exist, so that a 404 from HEAD means "no such key". */
    private volatile boolean bucketSeen;

    private S3Storage(S3Client client, AwsCredentialsProvider credentials, S3Location location, S3Config config) {
        this.client = client;
        this.credentials = credentials;
        this.location = location;
        this.config = config;
        this.errors = new S3Errors(location.bucket(), config.describeEndpoint());
    }

    /** Builds the client; {@code customizer} lets tests add interceptors. Makes no request. */
    static S3Storage open(S3Location location, S3Config config, Consumer<S3ClientBuilder> customizer) throws IOException {
        AwsCredentialsProvider credentials = credentials(config);
        return new S3Storage(buildClient(config, credentials, customizer), credentials, location, config);
    }

    private static S3Client buildClient(S3Config config, AwsCredentialsProvider credentials, Consumer<S3ClientBuilder> customizer)
            throws IOException {
        UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(60));
        if (config.caFile().isPresent()) {
            TrustManager[] trust = PemTrust.trustManagers(config.caFile().get(), S3Declarations.CA_FILE.name());
            http.tlsTrustManagersProvider(() -> trust);
        }
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(http)
                .credentialsProvider(credentials)
                .serviceConfiguration(s -> s
                        .pathStyleAccessEnabled(config.forcePathStyle())
                        // Each body is in memory already: sign it whole (one SHA-256 pass) instead of as
                        // aws-chunked signed chunks, which the SDK uses over plain http. s3proxy answers
                        // such a request before the last chunk's CRLF has arrived and drops the
                        // connection, failing a request it has carried out.
                        .chunkedEncodingEnabled(false))
                .overrideConfiguration(o -> o
                        .addExecutionInterceptor(new DrainedResponses())
                        // One attempt per request by default: walstash's retry layer (WALSTASH_RETRIES,
                        // applied by Storages.open) is the one retry budget. The deprecated
                        // WALSTASH_S3_MAX_RETRIES still adds standard-mode retries under it.
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(config.maxRetries() + 1)
                                .build())
                        // one slow attempt must not hang archiving
                        .apiCallAttemptTimeout(config.requestTimeout()));
        config.endpoint().ifPresent(builder::endpointOverride);
        Optional<String> region = config.effectiveRegion();
        if (region.isPresent()) {
            builder.region(Region.of(region.get()));
        } else {
            Region found;
            try {
                found = DefaultAwsRegionProviderChain.builder().build().getRegion();
            } catch (SdkClientException e) {
                found = Region.US_EAST_1;
            }
            // a bucket in another region than the one guessed is still found (the SDK follows S3's redirect)
            builder.region(found).crossRegionAccessEnabled(true);
        }
        customizer.accept(builder);
        try {
            return builder.build();
        } catch (SdkException | UncheckedIOException e) {
            throw new StorageFailure(Reason.SERVICE_ERROR, "cannot set up the S3 client for " + config.describeEndpoint()
                    + ": " + S3Errors.oneLine(String.valueOf(e.getMessage())), e);
        }
    }

    private static AwsCredentialsProvider credentials(S3Config config) {
        if (config.accessKeyId().isEmpty()) {
            return DefaultCredentialsProvider.builder().build();
        }
        String id = config.accessKeyId().get();
        String secret = config.secretAccessKey().orElseThrow();
        return StaticCredentialsProvider.create(config.sessionToken().isPresent()
                ? AwsSessionCredentials.create(id, secret, config.sessionToken().get())
                : AwsBasicCredentials.create(id, secret));
    }

    @Override
    public URI location() {
        return location.uri();
    }

    // ---- create ----

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        String objectKey = objectKey(key);
        Objects.requireNonNull(content, "content");
        byte[] buffer = content.readNBytes(config.partSize());
        if (buffer.length < config.partSize()) {
            return putWhole(key, objectKey, buffer);
        }
        int lookahead = content.read();
        if (lookahead < 0) {
            return putWhole(key, objectKey, buffer);
        }
        return putMultipart(key, objectKey, buffer, lookahead, content);
    }

    private boolean checkThenPut() {
        return config.conditionalCreate() == S3Config.ConditionalCreate.CHECK_THEN_PUT || ifNoneMatchRefused;
    }

    private boolean putWhole(String key, String objectKey, byte[] data) throws IOException {
        if (checkThenPut()) {
            return checkThenPutWhole(key, objectKey, data);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                client.putObject(putRequest(objectKey, data.length, true), body(data, data.length));
                return true;
            } catch (SdkException | UncheckedIOException e) {
                if (S3Errors.status(e) == 412) {
                    // taken -- unless by an earlier SDK attempt of this very call whose answer was lost
                    // (only with the deprecated SDK retries; the retry layer compares its own retries)
                    return S3Errors.attempts(e) > 1 && storedETagIs(key, objectKey, md5(data, data.length));
                }
                if (isConditionalConflict(e) && attempt < CONFLICT_RESENDS) {
                    continue;
                }
                if (refusesIfNoneMatch(e)) {
                    noteRefusal("PUT " + key, e);
                    return checkThenPutWhole(key, objectKey, data);
                }
                throw putFailure("PUT " + key, objectKey, e);
            }
        }
    }

    /**
     * Why a PUT failed. A store may refuse a request (an unknown access key, a bad signature: 403)
     * before reading its body and then drop the connection, so that the client only sees a reset
     * and would report an unreachable endpoint. After such a reset one small request without a
     * body (a listing of the key) asks again: when it is refused, the refusal is the answer.
     */
    private StorageFailure putFailure(String operation, String objectKey, RuntimeException e) {
        StorageFailure failure = errors.translate(operation, e);
        if (failure.reason() != Reason.UNREACHABLE || !endedByReset(e)) {
            return failure;
        }
        try {
            client.listObjectsV2(b -> b.bucket(location.bucket()).prefix(objectKey).maxKeys(1));
        } catch (AwsServiceException refused) {
            StorageFailure answer = errors.translate(operation, refused);
            if (answer.reason() == Reason.ACCESS_DENIED || answer.reason() == Reason.NO_SUCH_BUCKET) {
                answer.addSuppressed(failure);
                return answer;
            }
        } catch (SdkException | UncheckedIOException probeFailed) {
            // no answer either: the endpoint is what failed
        }
        return failure;
    }

    /**
     * Whether the connection broke after it was made (a reset, a broken pipe, "error writing request
     * body"): not refused, not an unknown host, not timed out, for which asking again only waits.
     */
    private static boolean endedByReset(Throwable e) {
        boolean io = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.SocketTimeoutException
                    || t instanceof java.net.UnknownHostException || t instanceof java.net.NoRouteToHostException) {
                return false;
            }
            io |= t instanceof IOException;
        }
        return io;
    }

    /*
     * For stores that do not evaluate If-None-Match (detected when they answer it with 501, or
     * configured with WALSTASH_S3_CONDITIONAL_CREATE=check-then-put for stores that silently ignore
     * it): HEAD, then an unconditional PUT, then a HEAD that compares the stored ETag with ours.
     * An object that exists at the first HEAD is never touched. The residual race: two creators
     * that both see the key absent both PUT and the store keeps the later one. The creator that
     * compares after the other's PUT sees a foreign ETag and returns false; but one that compares
     * before the other's PUT lands returns true and then has its object replaced -- with different
     * content, an overwrite. The window is the time between one creator's HEAD and the other's
     * PUT completing; only a store that evaluates the condition itself closes it. Creators with
     * identical content get identical ETags and may both return true, which is harmless.
     */
    private boolean checkThenPutWhole(String key, String objectKey, byte[] data) throws IOException {
        if (head(key, objectKey).isPresent()) {
            return false;
        }
        PutObjectResponse response;
        try {
            response = client.putObject(putRequest(objectKey, data.length, false), body(data, data.length));
        } catch (SdkException | UncheckedIOException e) {
            throw errors.translate("PUT " + key, e);
        }
        return storedIsOurs(key, objectKey, response.eTag());
    }

    private boolean storedIsOurs(String key, String objectKey, String ourETag) throws IOException {
        HeadObjectResponse stored = head(key, objectKey).orElseThrow(() -> new StorageFailure(Reason.SERVICE_ERROR,
                "PUT " + key + " in bucket '" + location.bucket() + "' was acknowledged but the object is gone at once"));
        return sameETag(stored.eTag(), ourETag);
    }

    /**
     * Whether the stored object's ETag is {@code expected}, the one our own upload gives it. Only
     * asked after a retried request was answered 412. With SSE-KMS ETags are not content digests,
     * so the answer is no, and the caller's comparison of content decides.
     */
    private boolean storedETagIs(String key, String objectKey, String expected) throws IOException {
        if (config.sse().filter(s -> s.startsWith("aws:kms")).isPresent()) {
            return false;
        }
        return head(key, objectKey).map(h -> sameETag(h.eTag(), expected)).orElse(false);
    }

    private static String md5(byte[] data, int length) {
        MessageDigest digest = md5Digest();
        digest.update(data, 0, length);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest md5Digest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no MD5 in this JVM", e);
        }
    }

    /** The ETag S3 gives a multipart object: the MD5 of the parts' MD5s, a dash, the number of parts. */
    private static String multipartETag(List<CompletedPart> parts) {
        MessageDigest digest = md5Digest();
        for (CompletedPart part : parts) {
            digest.update(HexFormat.of().parseHex(part.eTag().replace("\"", "")));
        }
        return HexFormat.of().formatHex(digest.digest()) + "-" + parts.size();
    }

    private static boolean sameETag(String a, String b) {
        return a != null && b != null && a.replace("\"", "").equals(b.replace("\"", ""));
    }

    private boolean putMultipart(String key, String objectKey, byte[] buffer, int lookahead, InputStream content) throws IOException {
        boolean checkFirst = checkThenPut();
        if (checkFirst && head(key, objectKey).isPresent()) {
            return false; // the check is repeated right before completing; this one saves the upload
        }
        String uploadId;
        try {
            uploadId = client.createMultipartUpload(createRequest(objectKey)).uploadId();
        } catch (SdkException | UncheckedIOException e) {
            throw errors.translate("start multipart upload of " + key, e);
        }
        boolean finished = false;
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int length = buffer.length;
            int next = lookahead;
            for (int partNumber = 1; ; partNumber++) {
                parts.add(uploadPart(key, objectKey, uploadId, partNumber, buffer, length));
                if (next < 0) {
                    break;
                }
                if (partNumber == MAX_PARTS) {
                    throw new IOException("content for " + key + " is larger than " + MAX_PARTS + " parts of " + config.partSize()
                            + " bytes; raise " + S3Declarations.PART_SIZE.name());
                }
                buffer[0] = (byte) next;
                length = 1 + content.readNBytes(buffer, 1, buffer.length - 1);
                next = length == buffer.length ? content.read() : -1;
            }
            Optional<String> etag = complete(key, objectKey, uploadId, parts);
            finished = etag.isPresent();
            return etag.isPresent() && (!checkThenPut() || storedIsOurs(key, objectKey, etag.get()));
        } catch (IOException | RuntimeException | Error e) {
            abortQuietly(key, objectKey, uploadId, e);
            finished = true;
            throw e;
        } finally {
            if (!finished) {
                abortQuietly(key, objectKey, uploadId, null);
            }
        }
    }

    private CompletedPart uploadPart(String key, String objectKey, String uploadId, int partNumber, byte[] buffer, int length)
            throws StorageFailure {
        try {
            UploadPartResponse response = client.uploadPart(b -> b.bucket(location.bucket()).key(objectKey).uploadId(uploadId)
                    .partNumber(partNumber).contentLength((long) length).checksumAlgorithm(ChecksumAlgorithm.CRC32),
                    body(buffer, length));
            return CompletedPart.builder().partNumber(partNumber).eTag(response.eTag())
                    .checksumCRC32(response.checksumCRC32()).build();
        } catch (SdkException | UncheckedIOException e) {
            throw errors.translate("upload part " + partNumber + " of " + key, e);
        }
    }

    /** Completes the upload; the ETag of the new object, or empty when the key was taken (the upload then still exists). */
    private Optional<String> complete(String key, String objectKey, String uploadId, List<CompletedPart> parts) throws IOException {
        boolean conditional = !checkThenPut();
        for (int attempt = 0; ; attempt++) {
            if (!conditional && head(key, objectKey).isPresent()) {
                return Optional.empty();
            }
            try {
                CompleteMultipartUploadRequest.Builder request = CompleteMultipartUploadRequest.builder()
                        .bucket(location.bucket()).key(objectKey).uploadId(uploadId)
                        .multipartUpload(m -> m.parts(parts));
                if (conditional) {
                    request.ifNoneMatch("*");
                }
                CompleteMultipartUploadResponse response = client.completeMultipartUpload(request.build());
                return Optional.of(response.eTag());
            } catch (SdkException | UncheckedIOException e) {
                if (conditional && S3Errors.status(e) == 412) {
                    // taken -- unless by an earlier SDK attempt of this very call whose answer was lost
                    // (only with the deprecated SDK retries; the retry layer compares its own retries)
                    String ours = multipartETag(parts);
                    return S3Errors.attempts(e) > 1 && storedETagIs(key, objectKey, ours) ? Optional.of(ours) : Optional.empty();
                }
                if (conditional && isConditionalConflict(e) && attempt < CONFLICT_RESENDS) {
                    continue;
                }
                if (conditional && refusesIfNoneMatch(e)) {
                    noteRefusal("complete multipart upload of " + key, e);
                    conditional = false;
                    continue;
                }
                throw errors.translate("complete multipart upload of " + key, e);
            }
        }
    }

    private void abortQuietly(String key, String objectKey, String uploadId, Throwable primary) {
        try {
            client.abortMultipartUpload(b -> b.bucket(location.bucket()).key(objectKey).uploadId(uploadId));
        } catch (SdkException | UncheckedIOException e) {
            if ("NoSuchUpload".equals(S3Errors.errorCode(e))) {
                return;
            }
            // The parts stay on the store until a lifecycle rule (AbortIncompleteMultipartUpload) removes them.
            LOG.warn("could not abort multipart upload of {} in bucket '{}' (its parts stay until a lifecycle rule removes them): {}",
                    key, location.bucket(), S3Errors.oneLine(String.valueOf(e.getMessage())));
            if (primary != null) {
                primary.addSuppressed(e);
            }
        }
    }

    private PutObjectRequest putRequest(String objectKey, long length, boolean ifNoneMatch) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(location.bucket()).key(objectKey)
                .contentLength(length).contentType(CONTENT_TYPE);
        config.sse().ifPresent(request::serverSideEncryption);
        config.kmsKeyId().ifPresent(request::ssekmsKeyId);
        config.storageClass().ifPresent(request::storageClass);
        if (ifNoneMatch) {
            request.ifNoneMatch("*");
        }
        return request.build();
    }

    private CreateMultipartUploadRequest createRequest(String objectKey) {
        CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder().bucket(location.bucket())
                .key(objectKey).contentType(CONTENT_TYPE).checksumAlgorithm(ChecksumAlgorithm.CRC32);
        config.sse().ifPresent(request::serverSideEncryption);
        config.kmsKeyId().ifPresent(request::ssekmsKeyId);
        config.storageClass().ifPresent(request::storageClass);
        return request.build();
    }

    /** A body the SDK can re-read for retries, straight from the buffer (no copy). */
    private static RequestBody body(byte[] buffer, int length) {
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length, CONTENT_TYPE);
    }

    /** S3's answer while another conditional write to the same key is in flight: try again. */
    /**
     * A 409 ConditionalRequestConflict is no failed request but S3 refusing to decide between
     * concurrent conditional writes of one key while one is in flight; sending it again decides
     * (created, or 412 taken). Not a retry of a lost answer -- the SDK makes one attempt and the
     * retry layer above retries those -- so its own small bound, apart from WALSTASH_RETRIES.
     */
    static final int CONFLICT_RESENDS = 3;

    private static boolean isConditionalConflict(RuntimeException e) {
        return S3Errors.status(e) == 409 && "ConditionalRequestConflict".equals(S3Errors.errorCode(e));
    }

    private boolean refusesIfNoneMatch(RuntimeException e) {
        return config.conditionalCreate() == S3Config.ConditionalCreate.AUTO
                && (S3Errors.status(e) == 501 || "NotImplemented".equals(S3Errors.errorCode(e)));
    }

    private void noteRefusal(String operation, RuntimeException e) {
        if (!ifNoneMatchRefused) {
            ifNoneMatchRefused = true;
            LOG.warn("{} at {} does not support If-None-Match ({}); using check-then-put for bucket '{}' from now on,"
                            + " which cannot fully exclude a concurrent writer (set {}=check-then-put to skip this probe)",
                    operation, config.describeEndpoint(), S3Errors.errorCode(e) != null ? S3Errors.errorCode(e) : "HTTP " + S3Errors.status(e),
                    location.bucket(), S3Declarations.CONDITIONAL_CREATE.name());
        }
    }

    // ---- read ----

    @Override
    public InputStream read(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            return new ObjectStream(client.getObject(b -> b.bucket(location.bucket()).key(objectKey)), describe(key));
        } catch (SdkException | UncheckedIOException e) {
            throw readFailure("GET " + key, key, e);
        }
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        String objectKey = objectKey(key);
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset " + offset + " or length " + length + " for " + key);
        }
        if (length == 0) {
            if (stat(key).isEmpty()) {
                throw new NoSuchObjectException(key);
            }
            return InputStream.nullInputStream();
        }
        long last = offset + length - 1;
        String range = last < offset ? "bytes=" + offset + "-" : "bytes=" + offset + "-" + last;
        ResponseInputStream<GetObjectResponse> response;
        try {
            response = client.getObject(b -> b.bucket(location.bucket()).key(objectKey).range(range));
        } catch (SdkException | UncheckedIOException e) {
            // S3 answers a range that starts at or past the end with 416: nothing to read there
            if (S3Errors.status(e) == 416 || "InvalidRange".equals(S3Errors.errorCode(e))) {
                return InputStream.nullInputStream();
            }
            throw readFailure("GET " + key + " (" + range + ")", key, e);
        }
        ObjectStream stream = new ObjectStream(response, describe(key) + "[" + range + "]");
        if (response.response().contentRange() == null) {
            // a store that ignored the Range header sent the whole object: cut it here
            try {
                stream.skipNBytes(offset);
            } catch (java.io.EOFException e) {
                stream.close();
                return InputStream.nullInputStream();
            }
            return new BoundedStream(stream, length);
        }
        return stream;
    }

    private IOException readFailure(String operation, String key, RuntimeException e) {
        String code = S3Errors.errorCode(e);
        if ("NoSuchKey".equals(code) || S3Errors.status(e) == 404 && !"NoSuchBucket".equals(code)) {
            return new NoSuchObjectException(key);
        }
        return errors.translate(operation, e);
    }

    // ---- stat ----

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return head(key, objectKey(key)).map(h -> new ObjectInfo(key, h.contentLength(), h.lastModified()));
    }

    /**
     * HEAD of one object. S3 answers HEAD of a missing key and of a key in a missing bucket alike
     * (404 without a body); the first such answer is followed by one HEAD of the bucket.
     */
    private Optional<HeadObjectResponse> head(String key, String objectKey) throws IOException {
        try {
            HeadObjectResponse response = client.headObject(b -> b.bucket(location.bucket()).key(objectKey));
            bucketSeen = true;
            return Optional.of(response);
        } catch (SdkException | UncheckedIOException e) {
            if (S3Errors.status(e) != 404) {
                throw errors.translate("HEAD " + key, e);
            }
            if (!bucketSeen) {
                checkBucket("HEAD " + key);
            }
            return Optional.empty();
        }
    }

    private void checkBucket(String operation) throws IOException {
        try {
            client.headBucket(b -> b.bucket(location.bucket()));
        } catch (SdkException | UncheckedIOException e) {
            if (S3Errors.status(e) == 404) {
                throw errors.noSuchBucket(operation, e);
            }
            // Any other answer (say 403: credentials that may read objects but not the bucket) says
            // nothing against the bucket: the 404 was about the key.
            LOG.debug("HEAD of bucket '{}' answered {}; taking the bucket as present", location.bucket(),
                    S3Errors.oneLine(String.valueOf(e.getMessage())));
        }
        bucketSeen = true;
    }

    // ---- list ----

    /** Lists page by page (S3 returns at most 1000 keys a request); the first page is fetched here. */
    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(location.bucket())
                .prefix(location.objectKey(keyPrefix)).maxKeys(config.listPageSize()).build();
        String operation = "list '" + keyPrefix + "'";
        Iterator<ListObjectsV2Response> pages;
        Iterator<S3Object> firstPage;
        try {
            pages = client.listObjectsV2Paginator(request).iterator();
            // the first page is fetched here, so that a missing bucket or a refusal is a checked failure of list()
            firstPage = pages.next().contents().iterator();
            bucketSeen = true;
        } catch (SdkException | UncheckedIOException e) {
            throw errors.translate(operation, e);
        }
        Iterator<ObjectInfo> objects = new Iterator<>() {
            private Iterator<S3Object> page = firstPage;
            private ObjectInfo next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    if (page.hasNext()) {
                        S3Object object = page.next();
                        String key = location.storageKey(object.key());
                        if (!key.isEmpty()) { // a "folder" marker for the prefix itself
                            next = new ObjectInfo(key, object.size(), object.lastModified());
                        }
                    } else {
                        try {
                            if (!pages.hasNext()) {
                                return false;
                            }
                            page = pages.next().contents().iterator();
                        } catch (SdkException | UncheckedIOException e) {
                            throw new UncheckedIOException(errors.translate(operation, e));
                        }
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
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(objects, Spliterator.NONNULL | Spliterator.DISTINCT), false);
    }

    // ---- delete ----

    @Override
    public void delete(String key) throws IOException {
        String objectKey = objectKey(key);
        try {
            client.deleteObject(b -> b.bucket(location.bucket()).key(objectKey));
        } catch (SdkException | UncheckedIOException e) {
            if ("NoSuchKey".equals(S3Errors.errorCode(e))) {
                return;
            }
            throw errors.translate("DELETE " + key, e);
        }
    }

    /** DeleteObjects in batches of 1000 keys; keys that are already gone are not an error. */
    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(keys));
        for (int from = 0; from < distinct.size(); from += DELETE_BATCH) {
            List<ObjectIdentifier> batch = new ArrayList<>();
            for (String key : distinct.subList(from, Math.min(distinct.size(), from + DELETE_BATCH))) {
                batch.add(ObjectIdentifier.builder().key(objectKey(key)).build());
            }
            DeleteObjectsResponse response;
            try {
                response = client.deleteObjects(b -> b.bucket(location.bucket())
                        .delete(Delete.builder().objects(batch).quiet(true).build()));
            } catch (SdkException | UncheckedIOException e) {
                throw errors.translate("delete " + batch.size() + " objects", e);
            }
            List<S3Error> failed = response.errors().stream().filter(e -> !"NoSuchKey".equals(e.code())).toList();
            if (!failed.isEmpty()) {
                S3Error first = failed.get(0);
                Reason reason = "AccessDenied".equals(first.code()) ? Reason.ACCESS_DENIED : Reason.SERVICE_ERROR;
                throw new StorageFailure(reason, "delete of " + failed.size() + " of " + batch.size() + " objects in bucket '"
                        + location.bucket() + "' failed, first " + location.storageKey(first.key()) + ": " + first.code()
                        + (first.message() == null ? "" : " " + S3Errors.oneLine(first.message())));
            }
        }
    }

    // ---- bucket ----

    /** CreateBucket; "already owned by you" counts as not created. */
    @Override
    public boolean createBucketIfMissing() throws IOException {
        Region region = client.serviceClientConfiguration().region();
        CreateBucketRequest.Builder request = CreateBucketRequest.builder().bucket(location.bucket());
        if (config.endpoint().isEmpty() && region != null && !Region.US_EAST_1.equals(region)) {
            request.createBucketConfiguration(c -> c.locationConstraint(region.id()));
        }
        try {
            client.createBucket(request.build());
            bucketSeen = true;
            return true;
        } catch (SdkException | UncheckedIOException e) {
            String code = S3Errors.errorCode(e);
            if ("BucketAlreadyOwnedByYou".equals(code)) {
                bucketSeen = true;
                return false;
            }
            if ("BucketAlreadyExists".equals(code)) {
                throw new StorageFailure(Reason.ACCESS_DENIED, "create bucket: the name '" + location.bucket()
                        + "' is taken by another account; choose another bucket name", e);
            }
            throw errors.translate("create bucket", e);
        }
    }

    /** The id of the rule {@link #abortIncompleteUploads} adds (a bucket's rule ids are unique, at most 255 characters). */
    static final String ABORT_RULE_ID = "walstash-abort-incomplete-multipart-uploads";

    /**
     * Adds a lifecycle rule that aborts multipart uploads under this prefix {@code days} days after
     * they began, unless an enabled rule already covers the prefix. PutBucketLifecycleConfiguration
     * replaces the bucket's whole configuration, so the rules found are put back with it (a bucket
     * shared with other tools keeps their rules). Read-modify-write with no condition S3 could check:
     * a rule someone else adds in between is lost; --create-bucket is run once, at set-up.
     */
    @Override
    public UploadCleanup abortIncompleteUploads(int days) throws IOException {
        List<LifecycleRule> rules;
        try {
            rules = client.getBucketLifecycleConfiguration(b -> b.bucket(location.bucket())).rules();
        } catch (SdkException | UncheckedIOException e) {
            if ("NoSuchLifecycleConfiguration".equals(S3Errors.errorCode(e))) {
                rules = List.of();
            } else {
                Optional<String> refused = refusal(e);
                if (refused.isPresent()) {
                    return new UploadCleanup.Refused("reading the bucket's lifecycle rules: " + refused.get());
                }
                throw errors.translate("get the bucket's lifecycle rules", e);
            }
        }
        for (LifecycleRule rule : rules) {
            if (abortsUnder(rule, location.prefix())) {
                return new UploadCleanup.Present(rule.abortIncompleteMultipartUpload().daysAfterInitiation(),
                        rule.id() == null ? "(no id)" : rule.id());
            }
        }
        List<LifecycleRule> kept = new ArrayList<>();
        for (LifecycleRule rule : rules) {
            if (!ABORT_RULE_ID.equals(rule.id())) {
                kept.add(rule); // ours, disabled or for another prefix, is replaced
            }
        }
        kept.add(LifecycleRule.builder().id(ABORT_RULE_ID).status(ExpirationStatus.ENABLED)
                .filter(LifecycleRuleFilter.builder().prefix(location.prefix()).build())
                .abortIncompleteMultipartUpload(a -> a.daysAfterInitiation(days)).build());
        try {
            client.putBucketLifecycleConfiguration(b -> b.bucket(location.bucket())
                    .lifecycleConfiguration(c -> c.rules(kept)));
        } catch (SdkException | UncheckedIOException e) {
            Optional<String> refused = refusal(e);
            if (refused.isPresent()) {
                return new UploadCleanup.Refused("setting the bucket's lifecycle rule: " + refused.get());
            }
            throw errors.translate("set the bucket's lifecycle rule", e);
        }
        return new UploadCleanup.Added(days, ABORT_RULE_ID);
    }

    /** An enabled rule that aborts unfinished uploads of every key under {@code prefix} (no tag or size condition). */
    static boolean abortsUnder(LifecycleRule rule, String prefix) {
        if (rule.status() != ExpirationStatus.ENABLED || rule.abortIncompleteMultipartUpload() == null
                || rule.abortIncompleteMultipartUpload().daysAfterInitiation() == null) {
            return false;
        }
        String covered;
        LifecycleRuleFilter filter = rule.filter();
        if (filter == null) {
            covered = rule.prefix() == null ? "" : rule.prefix(); // the filter's predecessor
        } else if (filter.tag() != null || filter.and() != null || filter.objectSizeGreaterThan() != null
                || filter.objectSizeLessThan() != null) {
            return false;
        } else {
            covered = filter.prefix() == null ? "" : filter.prefix();
        }
        return prefix.startsWith(covered);
    }

    /** GetBucketVersioning: a bucket that never had versioning answers without a status. */
    @Override
    public Versioning versioning() throws IOException {
        GetBucketVersioningResponse response;
        try {
            response = client.getBucketVersioning(b -> b.bucket(location.bucket()));
        } catch (SdkException | UncheckedIOException e) {
            Optional<String> refused = refusal(e);
            if (refused.isPresent()) {
                return new Versioning(Versioning.State.UNKNOWN, "reading it: " + refused.get());
            }
            throw errors.translate("get the bucket's versioning", e);
        }
        BucketVersioningStatus status = response.status();
        if (status == BucketVersioningStatus.ENABLED) {
            return new Versioning(Versioning.State.ON, "GetBucketVersioning: Enabled");
        }
        if (status == BucketVersioningStatus.SUSPENDED) {
            return new Versioning(Versioning.State.SUSPENDED, "GetBucketVersioning: Suspended (versions made while it was on remain)");
        }
        if (status == null) {
            return new Versioning(Versioning.State.OFF, "GetBucketVersioning: never enabled");
        }
        return new Versioning(Versioning.State.UNKNOWN, "GetBucketVersioning: " + response.statusAsString());
    }

    /**
     * A store's "no" to a bucket-configuration call, as one line (code and HTTP status): not
     * implemented (s3proxy, some MinIO gateways), not allowed, or denied to these credentials. Empty
     * for any other failure, which is translated and thrown as every other request's.
     */
    private static Optional<String> refusal(Throwable e) {
        String code = S3Errors.errorCode(e);
        int status = S3Errors.status(e);
        if (status == 501 || status == 405 || status == 403 || "NotImplemented".equals(code) || "AccessDenied".equals(code)
                || "MethodNotAllowed".equals(code)) {
            return Optional.of("the store answered " + (code == null ? "" : code + " ") + "(HTTP " + status + ")");
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            if (credentials instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    LOG.debug("closing the credentials provider failed", e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "S3Storage[" + location + " at " + config.describeEndpoint() + "]";
    }

    private String objectKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("empty key");
        }
        return location.objectKey(key);
    }

    private String describe(String key) {
        return location + key;
    }

    /** An object's content; closing it early aborts the connection instead of draining the rest. */
    private static final class ObjectStream extends FilterInputStream {
        private final ResponseInputStream<GetObjectResponse> response;
        private final String description;
        /** The body's announced length (Content-Length), or -1 when none was given. */
        private final long announced;
        private long received;
        private boolean atEnd;
        private boolean closed;

        ObjectStream(ResponseInputStream<GetObjectResponse> response, String description) {
            super(response);
            this.response = response;
            this.description = description;
            Long length = response.response().contentLength();
            this.announced = length == null ? -1 : length;
        }

        @Override
        public int read() throws IOException {
            int b = guarded(() -> super.read());
            return ended(b < 0 ? -1 : 1) < 0 ? -1 : b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return ended(guarded(() -> super.read(b, off, len)));
        }

        @Override
        public long skip(long n) throws IOException {
            int skipped = guarded(() -> (int) super.skip(Math.min(n, Integer.MAX_VALUE)));
            received += Math.max(0, skipped);
            return skipped;
        }

        /**
         * Counts {@code n} bytes read; an end before the announced length is a connection closed
         * early, reported as a failed read (which the retry layer resumes from the byte reached),
         * not passed on as the object's end for a decoder to find "truncated".
         */
        private int ended(int n) throws IOException {
            if (n > 0) {
                received += n;
            } else if (n < 0) {
                if (announced >= 0 && received < announced) {
                    throw new StorageFailure(Reason.UNREACHABLE, "reading " + description + " ended after " + received
                            + " of its " + announced + " bytes: the connection closed early");
                }
                atEnd = true;
            }
            return n;
        }

        private interface Read {
            int run() throws IOException;
        }

        private int guarded(Read read) throws IOException {
            try {
                return read.run();
            } catch (SdkException | UncheckedIOException e) {
                // e.g. a checksum mismatch found by the SDK while streaming
                throw new IOException("reading " + description + " failed: " + S3Errors.oneLine(String.valueOf(e.getMessage())), e);
            } catch (StorageFailure e) {
                throw e;
            } catch (IOException e) {
                // the connection broke under the body (a reset): the transport's, so worth another try,
                // also where a layer reads the first bytes while opening (encryption's header)
                throw new StorageFailure(Reason.UNREACHABLE, "reading " + description + " failed: "
                        + S3Errors.oneLine(String.valueOf(e.getMessage())), e);
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            if (!atEnd) {
                response.abort();
            }
            super.close();
        }

        @Override
        public String toString() {
            return "S3Object(" + description + ")";
        }
    }

    /** At most {@code remaining} bytes of its source. */
    private static final class BoundedStream extends FilterInputStream {
        private long remaining;

        BoundedStream(InputStream in, long limit) {
            super(in);
            this.remaining = limit;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) {
                return -1;
            }
            int b = super.read();
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
            if (remaining <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
            }
            return n;
        }

        @Override
        public String toString() {
            return "Bounded(" + in + ")";
        }
    }
}
