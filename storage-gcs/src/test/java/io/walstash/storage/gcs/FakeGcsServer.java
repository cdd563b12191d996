package io.walstash.storage.gcs;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * A small Google Cloud Storage JSON API server, in memory, on 127.0.0.1 and a free port: enough of
 * <a href="https://cloud.google.com/storage/docs/json_api">the documented API</a> to see what the
 * client really sends over HTTP, with faults to inject. Test support, also for other modules' tests
 * (published in this module's test-jar).
 *
 * <p>Served: uploads ({@code POST /upload/storage/v1/b/B/o?uploadType=multipart|media|resumable},
 * resumable sessions with {@code PUT} chunks, {@code Content-Range}, 308 and {@code Range}, status
 * queries and {@code DELETE} to cancel), the preconditions {@code ifGenerationMatch} and
 * {@code generation}, downloads ({@code GET /download/storage/v1/b/B/o/O?alt=media}, or without
 * {@code /download}, with {@code Range}, 206 and 416), object
 * metadata, listing with {@code prefix}, {@code delimiter}, {@code maxResults} and
 * {@code pageToken}/{@code nextPageToken}, deletes, buckets (create with {@code project}, get), and
 * the batch endpoint ({@code POST /batch/storage/v1}, multipart/mixed). {@code POST /token}
 * hands out an OAuth token, for service-account key files whose {@code token_uri} points here. Uploads are checked
 * against the CRC32C and MD5 the client sends (multipart metadata, {@code x-goog-hash}).
 *
 * <p>Simplified: no authentication (any or no token is accepted), no ACLs, versioning, composite
 * objects, encryption keys or XML API; {@code fields} and {@code projection} are ignored (the whole
 * resource is returned); metageneration is always 1; page tokens are the last name, base64;
 * listing sorts by Java string order; a resumable session persists whole chunks only, except under
 * the dropped-connection fault; error bodies carry only code, message and reason.
 */
public final class FakeGcsServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter RFC3339 =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int CHUNK_GRANULARITY = 256 * 1024;

    private record StoredObject(String bucket, String name, byte[] data, long generation, Instant created,
                                String contentType, Map<String, String> metadata, String crc32c, String md5) {
    }

    private static final class Session {
        final String bucket;
        final String name;
        final Map<String, Object> resource;
        final Long ifGenerationMatch;
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        StoredObject result;

        Session(String bucket, String name, Map<String, Object> resource, Long ifGenerationMatch) {
            this.bucket = bucket;
            this.name = name;
            this.resource = resource;
            this.ifGenerationMatch = ifGenerationMatch;
        }
    }

    private record Request(String method, String path, Map<String, String> query, Headers headers, byte[] body) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    private record Response(int status, Map<String, String> headers, byte[] body) {
        static Response json(int status, Object value) {
            try {
                return new Response(status, Map.of("Content-Type", "application/json; charset=UTF-8"), JSON.writeValueAsBytes(value));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        static Response empty(int status, Map<String, String> headers) {
            return new Response(status, headers, new byte[0]);
        }
    }

    /** Thrown inside a handler to close the connection without answering. */
    private static final class DropConnection extends RuntimeException {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final URI endpoint;
    private final Object lock = new Object();
    private final Map<String, Map<String, Object>> buckets = new HashMap<>();
    private final Map<String, NavigableMap<String, StoredObject>> objects = new HashMap<>();
    private final Map<String, Session> sessions = new HashMap<>();
    private final AtomicLong generations = new AtomicLong(System.currentTimeMillis() * 1000);
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failureStatus;
    private volatile boolean dropNextChunk;
    private volatile boolean loseNextUploadResponse;
    private volatile boolean corruptNextUpload;
    private volatile int listPageSize = 1000;
    private volatile boolean refuseTokens;

    private FakeGcsServer() throws IOException {
        // Answers go out as headers and body in two writes; without TCP_NODELAY each small answer
        // waits for the client's delayed ACK (about 40 ms). Read once, when the first server starts.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger threads = new AtomicInteger();
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-gcs-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
        endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Starts a server on 127.0.0.1 and a free port. */
    public static FakeGcsServer start() throws IOException {
        return new FakeGcsServer();
    }

    /** {@code http://127.0.0.1:PORT}, for {@code WALSTASH_GCS_ENDPOINT}. */
    public URI endpoint() {
        return endpoint;
    }

    public FakeGcsServer createBucket(String name) {
        synchronized (lock) {
            buckets.computeIfAbsent(name, n -> bucketResource(n, "test-project"));
            objects.computeIfAbsent(name, n -> new TreeMap<>());
        }
        return this;
    }

    /** Turns the bucket's object versioning on or off, as the console would (the bucket resource's {@code versioning.enabled}). */
    public FakeGcsServer versioning(String bucket, boolean enabled) {
        synchronized (lock) {
            buckets.get(bucket).put("versioning", Map.of("enabled", enabled));
        }
        return this;
    }

    public boolean hasBucket(String name) {
        synchronized (lock) {
            return buckets.containsKey(name);
        }
    }

    /** The stored bytes of an object, as the server holds them. */
    public Optional<byte[]> object(String bucket, String name) {
        synchronized (lock) {
            StoredObject o = objects.getOrDefault(bucket, new TreeMap<>()).get(name);
            return o == null ? Optional.empty() : Optional.of(o.data.clone());
        }
    }

    public List<String> objectNames(String bucket) {
        synchronized (lock) {
            return List.copyOf(objects.getOrDefault(bucket, new TreeMap<>()).keySet());
        }
    }

    /** Resumable sessions started and neither finalised nor cancelled. */
    public int unfinishedUploads() {
        synchronized (lock) {
            return (int) sessions.values().stream().filter(s -> s.result == null).count();
        }
    }

    /** Every request so far, as {@code METHOD /path?query} (batch parts appear as their own lines, after the batch). */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** The Authorization headers of API requests so far (the server checks none). */
    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    public void clearRequests() {
        requests.clear();
    }

    /** The next {@code count} requests, whatever they are, are answered with {@code status} and a JSON error. */
    public void failNextRequests(int count, int status) {
        failureStatus = status;
        failuresLeft.set(count);
    }

    /**
     * The next resumable chunk is received, but only its first 256 KiB (none of a smaller chunk)
     * are kept, and the connection is closed without an answer, as when a connection breaks
     * mid-upload. The client has to ask for the session's state and resume.
     */
    public void dropConnectionDuringNextChunk() {
        dropNextChunk = true;
    }

    /** The next upload that creates an object does so, then the connection is closed without an answer. */
    public void loseNextUploadResponse() {
        loseNextUploadResponse = true;
    }

    /**
     * The next object stored gets one byte changed after the client's checksums were checked, and
     * is described with the checksums of the changed bytes: the server believes its bad copy.
     */
    public void corruptNextUpload() {
        corruptNextUpload = true;
    }

    /** Changes one byte of a stored object, keeping its metadata (checksums) as they were: bit rot. */
    public void corruptStoredObject(String bucket, String name) {
        synchronized (lock) {
            StoredObject o = objects.get(bucket).get(name);
            byte[] data = o.data.clone();
            data[data.length / 2] ^= 0x01;
            objects.get(bucket).put(name, new StoredObject(o.bucket, o.name, data, o.generation, o.created,
                    o.contentType, o.metadata, o.crc32c, o.md5));
        }
    }

    /** From now on {@code POST /token} answers 400 invalid_grant, as for a deleted service-account key. */
    public void refuseTokens() {
        refuseTokens = true;
    }

    /** The page size of listings when the client asks for none or more (GCS: 1000). */
    public void setListPageSize(int size) {
        listPageSize = size;
    }

    /** Stops at once: open connections are closed. Stored objects stay readable through {@link #object}. */
    public void stop() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    // ---- HTTP ----

    private void serve(HttpExchange exchange) throws IOException {
        try {
            Request request = read(exchange);
            requests.add(request.method + " " + exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery()));
            Response response;
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                response = error(failureStatus, failureStatus == 429 ? "rateLimitExceeded" : "backendError", "injected failure");
            } else {
                try {
                    response = route(request);
                } catch (DropConnection drop) {
                    return; // closing the exchange without a response closes the connection
                }
            }
            send(exchange, response);
        } catch (RuntimeException e) {
            send(exchange, error(500, "internalError", e.toString()));
        } finally {
            exchange.close();
        }
    }

    private static Request read(HttpExchange exchange) throws IOException {
        InputStream in = exchange.getRequestBody();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
            in = new GZIPInputStream(in);
        }
        URI uri = exchange.getRequestURI();
        return new Request(exchange.getRequestMethod(), uri.getRawPath(), query(uri.getRawQuery()),
                exchange.getRequestHeaders(), in.readAllBytes());
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        response.headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        boolean noBody = response.body.length == 0 || exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(response.status, noBody ? -1 : response.body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                // in slices: one write of a body near 1 GiB makes the JDK server ask for a larger array than a VM allows
                for (int offset = 0; offset < response.body.length; offset += 1 << 20) {
                    out.write(response.body, offset, Math.min(1 << 20, response.body.length - offset));
                }
            }
        }
    }

    private Response route(Request r) {
        String[] p = r.path.split("/", -1); // "", "storage", "v1", "b", bucket, "o", name...
        if (r.path.equals("/token") && r.method.equals("POST")) {
            return refuseTokens
                    ? Response.json(400, Map.of("error", "invalid_grant", "error_description", "Invalid JWT Signature."))
                    : Response.json(200, Map.of("access_token", "fake-access-token", "expires_in", 3600, "token_type", "Bearer"));
        }
        if (r.header("Authorization") != null) {
            authorizations.add(r.header("Authorization"));
        }
        if (r.path.equals("/batch/storage/v1") && r.method.equals("POST")) {
            return batch(r);
        }
        if (r.path.startsWith("/upload/storage/v1/b/") && p.length == 7 && p[6].equals("o")) {
            String bucket = decode(p[5]);
            return switch (r.method) {
                case "POST" -> startUpload(r, bucket);
                case "PUT" -> uploadChunk(r);
                case "DELETE" -> cancelUpload(r);
                default -> error(405, "methodNotAllowed", r.method);
            };
        }
        if (r.path.equals("/storage/v1/b") && r.method.equals("POST")) {
            return createBucket(r);
        }
        if (r.path.startsWith("/storage/v1/b/") && p.length == 5 && r.method.equals("GET")) {
            return getBucket(decode(p[4]));
        }
        if (r.path.startsWith("/storage/v1/b/") && p.length == 6 && p[5].equals("o") && r.method.equals("GET")) {
            return list(r, decode(p[4]));
        }
        if (r.path.startsWith("/download/storage/v1/b/") && p.length >= 8 && p[6].equals("o") && r.method.equals("GET")) {
            return download(r, decode(p[5]), decode(String.join("/", Arrays.asList(p).subList(7, p.length))));
        }
        if (r.path.startsWith("/storage/v1/b/") && p.length >= 7 && p[5].equals("o")) {
            String bucket = decode(p[4]);
            String name = decode(String.join("/", Arrays.asList(p).subList(6, p.length)));
            return switch (r.method) {
                case "GET" -> "media".equals(r.query.get("alt")) ? download(r, bucket, name) : metadata(r, bucket, name);
                case "DELETE" -> deleteObject(r, bucket, name);
                default -> error(405, "methodNotAllowed", r.method);
            };
        }
        return error(404, "notFound", "Not Found: " + r.method + " " + r.path);
    }

    // ---- uploads ----

    private Response startUpload(Request r, String bucket) {
        String type = r.query.getOrDefault("uploadType", "");
        Map<String, Object> resource;
        byte[] data;
        switch (type) {
            case "multipart" -> {
                List<Part> parts = multipart(r.header("Content-Type"), r.body);
                if (parts.size() != 2) {
                    return error(400, "invalid", "multipart upload needs metadata and media parts, got " + parts.size());
                }
                resource = parseJson(parts.get(0).body);
                data = parts.get(1).body;
            }
            case "media" -> {
                resource = new LinkedHashMap<>();
                data = r.body;
            }
            case "resumable" -> {
                resource = r.body.length == 0 ? new LinkedHashMap<>() : parseJson(r.body);
                data = null;
            }
            default -> {
                return error(400, "invalid", "uploadType must be multipart, media or resumable, got '" + type + "'");
            }
        }
        String name = r.query.containsKey("name") ? r.query.get("name") : (String) resource.get("name");
        if (name == null || name.isEmpty()) {
            return error(400, "required", "Required: object name");
        }
        Long ifGenerationMatch = longParam(r, "ifGenerationMatch");
        synchronized (lock) {
            if (!buckets.containsKey(bucket)) {
                return noSuchBucket();
            }
            Response failed = precondition(bucket, name, ifGenerationMatch);
            if (failed != null) {
                return failed;
            }
            if (data == null) {
                String id = UUID.randomUUID().toString().replace("-", "");
                sessions.put(id, new Session(bucket, name, resource, ifGenerationMatch));
                return Response.empty(200, Map.of("Location", endpoint + "/upload/storage/v1/b/" + bucket
                        + "/o?uploadType=resumable&upload_id=" + id));
            }
        }
        String sentCrc = (String) resource.get("crc32c");
        String sentMd5 = (String) resource.get("md5Hash");
        return finish(bucket, name, resource, ifGenerationMatch, data, sentCrc, sentMd5);
    }

    private Response uploadChunk(Request r) {
        String id = r.query.get("upload_id");
        Session session;
        synchronized (lock) {
            session = sessions.get(id);
        }
        if (session == null) {
            return error(404, "notFound", "No such upload session");
        }
        String range = r.header("Content-Range");
        if (range == null || !range.startsWith("bytes ")) {
            return error(400, "invalid", "Content-Range required");
        }
        String[] spec = range.substring(6).split("/");
        long total = spec[1].equals("*") ? -1 : Long.parseLong(spec[1]);
        synchronized (session) {
            if (session.result != null) {
                return Response.json(200, resource(session.result));
            }
            long committed = session.data.size();
            if (!spec[0].equals("*")) {
                long first = Long.parseLong(spec[0].substring(0, spec[0].indexOf('-')));
                long last = Long.parseLong(spec[0].substring(spec[0].indexOf('-') + 1));
                if (last - first + 1 != r.body.length) {
                    return error(400, "invalid", "Content-Range " + range + " does not match the body of " + r.body.length + " bytes");
                }
                if (first > committed) {
                    return new Response(503, Map.of("Content-Type", "text/plain; charset=utf-8"), ("Invalid request. According to the"
                            + " Content-Range header, the upload offset is " + first + " byte(s), which exceeds already uploaded size of "
                            + committed + " byte(s).").getBytes(UTF_8));
                }
                boolean isFinal = total >= 0 && last + 1 == total;
                if (!isFinal && (last + 1) % CHUNK_GRANULARITY != 0) {
                    return error(400, "invalid", "non-final chunks must be a multiple of 256 KiB");
                }
                int skip = (int) (committed - first);
                if (dropNextChunk) {
                    dropNextChunk = false;
                    int keep = r.body.length - skip > CHUNK_GRANULARITY ? CHUNK_GRANULARITY : 0;
                    session.data.write(r.body, skip, keep);
                    throw new DropConnection();
                }
                session.data.write(r.body, skip, r.body.length - skip);
                committed = session.data.size();
            }
            if (total >= 0 && committed == total) {
                String hash = r.header("x-goog-hash");
                Response response = finish(session.bucket, session.name, session.resource, session.ifGenerationMatch,
                        session.data.toByteArray(), hashPart(hash, "crc32c"), hashPart(hash, "md5"));
                synchronized (lock) {
                    if (response.status == 200) {
                        session.result = objects.get(session.bucket).get(session.name);
                    } else {
                        sessions.remove(id);
                    }
                }
                return response;
            }
            return Response.empty(308, committed == 0 ? Map.of() : Map.of("Range", "bytes=0-" + (committed - 1)));
        }
    }

    private Response cancelUpload(Request r) {
        synchronized (lock) {
            return sessions.remove(r.query.get("upload_id")) == null
                    ? error(404, "notFound", "No such upload session") : Response.empty(499, Map.of());
        }
    }

    /** Checks the client's checksums, then stores the object if the precondition still holds. */
    private Response finish(String bucket, String name, Map<String, Object> resource, Long ifGenerationMatch,
                            byte[] data, String sentCrc, String sentMd5) {
        String crc = crc32c(data);
        if (sentCrc != null && !sentCrc.equals(crc)) {
            return error(400, "invalid", "Provided CRC32C \"" + sentCrc + "\" doesn't match calculated CRC32C \"" + crc + "\".");
        }
        String md5 = md5(data);
        if (sentMd5 != null && !sentMd5.equals(md5)) {
            return error(400, "invalid", "Provided MD5 hash \"" + sentMd5 + "\" doesn't match calculated MD5 hash \"" + md5 + "\".");
        }
        if (corruptNextUpload) {
            corruptNextUpload = false;
            data = data.length == 0 ? new byte[] {42} : data.clone();
            data[data.length / 2] ^= 0x01;
            crc = crc32c(data);
            md5 = md5(data);
        }
        @SuppressWarnings("unchecked")
        Map<String, String> metadata = (Map<String, String>) resource.getOrDefault("metadata", Map.of());
        String contentType = (String) resource.getOrDefault("contentType", "application/octet-stream");
        StoredObject stored;
        synchronized (lock) {
            if (!buckets.containsKey(bucket)) {
                return noSuchBucket();
            }
            Response failed = precondition(bucket, name, ifGenerationMatch);
            if (failed != null) {
                return failed;
            }
            stored = new StoredObject(bucket, name, data, generations.incrementAndGet(), Instant.now(), contentType,
                    Map.copyOf(metadata), crc, md5);
            objects.get(bucket).put(name, stored);
        }
        if (loseNextUploadResponse) {
            loseNextUploadResponse = false;
            throw new DropConnection();
        }
        return Response.json(200, resource(stored));
    }

    private Response precondition(String bucket, String name, Long ifGenerationMatch) {
        StoredObject existing = objects.get(bucket).get(name);
        if (ifGenerationMatch != null && (existing == null ? ifGenerationMatch != 0 : existing.generation != ifGenerationMatch)) {
            return error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
        return null;
    }

    // ---- objects ----

    private Response download(Request r, String bucket, String name) {
        StoredObject o;
        synchronized (lock) {
            Response missing = find(r, bucket, name);
            if (missing != null) {
                return missing;
            }
            o = objects.get(bucket).get(name);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", o.contentType);
        headers.put("x-goog-generation", Long.toString(o.generation));
        headers.put("x-goog-metageneration", "1");
        headers.put("x-goog-stored-content-length", Integer.toString(o.data.length));
        headers.put("x-goog-stored-content-encoding", "identity");
        headers.put("x-goog-hash", "crc32c=" + o.crc32c + ",md5=" + o.md5);
        headers.put("ETag", "\"" + o.md5 + "\"");
        String range = r.header("Range");
        if (range == null) {
            return new Response(200, headers, o.data);
        }
        long size = o.data.length;
        String spec = range.replaceFirst("^bytes=", "");
        long first;
        long last;
        if (spec.startsWith("-")) {
            first = Math.max(0, size - Long.parseLong(spec.substring(1)));
            last = size - 1;
        } else {
            first = Long.parseLong(spec.substring(0, spec.indexOf('-')));
            String end = spec.substring(spec.indexOf('-') + 1);
            last = end.isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(end));
        }
        if (first >= size) {
            headers.put("Content-Range", "bytes */" + size);
            return error(416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
        }
        headers.put("Content-Range", "bytes " + first + "-" + last + "/" + size);
        return new Response(206, headers, Arrays.copyOfRange(o.data, (int) first, (int) last + 1));
    }

    private Response metadata(Request r, String bucket, String name) {
        synchronized (lock) {
            Response missing = find(r, bucket, name);
            return missing != null ? missing : Response.json(200, resource(objects.get(bucket).get(name)));
        }
    }

    private Response deleteObject(Request r, String bucket, String name) {
        synchronized (lock) {
            Response missing = find(r, bucket, name);
            if (missing != null) {
                return missing;
            }
            objects.get(bucket).remove(name);
            return Response.empty(204, Map.of());
        }
    }

    /** Null when the object exists and matches the request's generation preconditions; else the error. */
    private Response find(Request r, String bucket, String name) {
        if (!buckets.containsKey(bucket)) {
            return noSuchBucket();
        }
        StoredObject o = objects.get(bucket).get(name);
        Long generation = longParam(r, "generation");
        if (o == null || (generation != null && o.generation != generation)) {
            return error(404, "notFound", "No such object: " + bucket + "/" + name);
        }
        Long ifGenerationMatch = longParam(r, "ifGenerationMatch");
        if (ifGenerationMatch != null && ifGenerationMatch != o.generation) {
            return error(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
        }
        return null;
    }

    private Response list(Request r, String bucket) {
        String prefix = r.query.getOrDefault("prefix", "");
        String delimiter = r.query.get("delimiter");
        int max = Math.min(listPageSize, r.query.containsKey("maxResults") ? Integer.parseInt(r.query.get("maxResults")) : listPageSize);
        String after = r.query.containsKey("pageToken") ? new String(Base64.getUrlDecoder().decode(r.query.get("pageToken")), UTF_8) : null;
        List<Object> items = new ArrayList<>();
        TreeSet<String> prefixes = new TreeSet<>();
        String last = null;
        boolean more = false;
        synchronized (lock) {
            if (!buckets.containsKey(bucket)) {
                return noSuchBucket();
            }
            NavigableMap<String, StoredObject> all = objects.get(bucket);
            for (StoredObject o : (after == null ? all : all.tailMap(after, false)).values()) {
                if (!o.name.startsWith(prefix)) {
                    if (o.name.compareTo(prefix) > 0) {
                        break;
                    }
                    continue;
                }
                if (items.size() + prefixes.size() >= max) {
                    more = true;
                    break;
                }
                int cut = delimiter == null ? -1 : o.name.indexOf(delimiter, prefix.length());
                if (cut >= 0) {
                    prefixes.add(o.name.substring(0, cut + delimiter.length()));
                } else {
                    items.add(resource(o));
                }
                last = o.name;
            }
        }
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("kind", "storage#objects");
        if (more) {
            page.put("nextPageToken", Base64.getUrlEncoder().encodeToString(last.getBytes(UTF_8)));
        }
        if (!prefixes.isEmpty()) {
            page.put("prefixes", List.copyOf(prefixes));
        }
        if (!items.isEmpty()) {
            page.put("items", items);
        }
        return Response.json(200, page);
    }

    // ---- buckets ----

    private Response createBucket(Request r) {
        String project = r.query.get("project");
        if (project == null || project.isEmpty()) {
            return error(400, "required", "Required parameter: project");
        }
        String name = (String) parseJson(r.body).get("name");
        synchronized (lock) {
            if (buckets.containsKey(name)) {
                return error(409, "conflict", "Your previous request to create the named bucket succeeded and you already own it.");
            }
            buckets.put(name, bucketResource(name, project));
            objects.put(name, new TreeMap<>());
            return Response.json(200, buckets.get(name));
        }
    }

    private Response getBucket(String name) {
        synchronized (lock) {
            return buckets.containsKey(name) ? Response.json(200, buckets.get(name)) : noSuchBucket();
        }
    }

    private static Map<String, Object> bucketResource(String name, String project) {
        String now = RFC3339.format(Instant.now());
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("kind", "storage#bucket");
        b.put("id", name);
        b.put("name", name);
        b.put("projectNumber", Integer.toString(Math.abs(project.hashCode())));
        b.put("metageneration", "1");
        b.put("location", "US");
        b.put("storageClass", "STANDARD");
        b.put("timeCreated", now);
        b.put("updated", now);
        return b;
    }

    // ---- batch ----

    /** Each part of the multipart/mixed body is one HTTP request; the answer has one part per request, in order. */
    private Response batch(Request r) {
        List<Part> parts = multipart(r.header("Content-Type"), r.body);
        String boundary = "batch_" + UUID.randomUUID().toString().replace("-", "");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part part : parts) {
            String text = new String(part.body, ISO_8859_1);
            int headersEnd = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, headersEnd).split("\r\n");
            String[] requestLine = lines[0].split(" ");
            URI target = URI.create(requestLine[1]);
            Headers headers = new Headers();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.add(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
            byte[] body = Arrays.copyOfRange(part.body, headersEnd + 4, part.body.length);
            requests.add(requestLine[0] + " " + target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()));
            Response response = route(new Request(requestLine[0], target.getRawPath(), query(target.getRawQuery()), headers, body));
            StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n")
                    .append("Content-Type: application/http\r\n");
            String id = part.headers.get("content-id");
            if (id != null) {
                head.append("Content-ID: response-").append(id).append("\r\n");
            }
            head.append("\r\nHTTP/1.1 ").append(response.status).append(" ").append(reasonPhrase(response.status)).append("\r\n");
            response.headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Content-Length: ").append(response.body.length).append("\r\n\r\n");
            out.writeBytes(head.toString().getBytes(ISO_8859_1));
            out.writeBytes(response.body);
            out.writeBytes("\r\n".getBytes(ISO_8859_1));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(ISO_8859_1));
        return new Response(200, Map.of("Content-Type", "multipart/mixed; boundary=" + boundary), out.toByteArray());
    }

    private record Part(Map<String, String> headers, byte[] body) {
    }

    /** Splits a multipart body (RFC 2046) on the boundary named in {@code contentType}. */
    private static List<Part> multipart(String contentType, byte[] body) {
        String boundary = null;
        for (String param : contentType.split(";")) {
            String p = param.trim();
            if (p.startsWith("boundary=")) {
                boundary = p.substring("boundary=".length()).replace("\"", "");
            }
        }
        if (boundary == null) {
            throw new IllegalArgumentException("no boundary in " + contentType);
        }
        byte[] delimiter = ("--" + boundary).getBytes(ISO_8859_1);
        List<Part> parts = new ArrayList<>();
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int start = at + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                break; // closing delimiter
            }
            start += 2; // CRLF after the delimiter
            int next = indexOf(body, ("\r\n--" + boundary).getBytes(ISO_8859_1), start);
            if (next < 0) {
                break;
            }
            byte[] raw = Arrays.copyOfRange(body, start, next);
            int headersEnd = indexOf(raw, "\r\n\r\n".getBytes(ISO_8859_1), 0);
            Map<String, String> headers = new HashMap<>();
            int bodyStart = 0;
            if (headersEnd >= 0) {
                for (String line : new String(raw, 0, headersEnd, ISO_8859_1).split("\r\n")) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        headers.put(line.substring(0, colon).trim().toLowerCase(), line.substring(colon + 1).trim());
                    }
                }
                bodyStart = headersEnd + 4;
            } else if (raw.length >= 2 && raw[0] == '\r' && raw[1] == '\n') {
                bodyStart = 2; // a part without headers
            }
            parts.add(new Part(headers, Arrays.copyOfRange(raw, bodyStart, raw.length)));
            at = next + 2;
        }
        return parts;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ---- resources, errors, small parsers ----

    private Map<String, Object> resource(StoredObject o) {
        String base = endpoint + "/storage/v1/b/" + o.bucket + "/o/" + encode(o.name);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", "storage#object");
        json.put("id", o.bucket + "/" + o.name + "/" + o.generation);
        json.put("selfLink", base);
        json.put("mediaLink", base + "?generation=" + o.generation + "&alt=media");
        json.put("name", o.name);
        json.put("bucket", o.bucket);
        json.put("generation", Long.toString(o.generation));
        json.put("metageneration", "1");
        json.put("contentType", o.contentType);
        json.put("storageClass", "STANDARD");
        json.put("size", Integer.toString(o.data.length));
        json.put("md5Hash", o.md5);
        json.put("crc32c", o.crc32c);
        json.put("etag", "CAE=");
        json.put("timeCreated", RFC3339.format(o.created));
        json.put("updated", RFC3339.format(o.created));
        if (!o.metadata.isEmpty()) {
            json.put("metadata", o.metadata);
        }
        return json;
    }

    private static Response noSuchBucket() {
        return error(404, "notFound", "The specified bucket does not exist.");
    }

    private static Response error(int status, String reason, String message) {
        return Response.json(status, Map.of("error", Map.of("code", status, "message", message,
                "errors", List.of(Map.of("domain", "global", "reason", reason, "message", message)))));
    }

    private static String reasonPhrase(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 204 -> "No Content";
            case 404 -> "Not Found";
            case 412 -> "Precondition Failed";
            case 429 -> "Too Many Requests";
            default -> "Status";
        };
    }

    private static Map<String, Object> parseJson(byte[] body) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> map = JSON.readValue(body, LinkedHashMap.class);
            return map;
        } catch (IOException e) {
            throw new IllegalArgumentException("bad JSON: " + e.getMessage(), e);
        }
    }

    private static Long longParam(Request r, String name) {
        String value = r.query.get(name);
        return value == null ? null : Long.valueOf(value);
    }

    private static String hashPart(String header, String kind) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(",")) {
            String p = part.trim();
            if (p.startsWith(kind + "=")) {
                return p.substring(kind.length() + 1);
            }
        }
        return null;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new HashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                query.put(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return query;
    }

    /** Percent-decoding; a '+' stays a '+' (the client writes spaces as %20). */
    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), UTF_8);
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, UTF_8).replace("+", "%20");
    }

    /** GCS's form: the CRC32C's four bytes, big-endian, base64 (written here independently of the adapter's). */
    private static String crc32c(byte[] data) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data);
        long value = crc.getValue();
        byte[] bytes = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static String md5(byte[] data) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
