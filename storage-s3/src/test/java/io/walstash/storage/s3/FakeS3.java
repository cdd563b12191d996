package io.walstash.storage.s3;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A tiny path-style S3 on 127.0.0.1 that records every request it gets: PUT, HEAD, GET of whole
 * objects and the multipart calls, enough to see which headers the adapter sends and how it
 * reacts to a store that refuses or ignores {@code If-None-Match}. It checks no signature.
 */
final class FakeS3 implements AutoCloseable {

    /** What the store does with {@code If-None-Match: *}. */
    enum IfNoneMatch { HONOUR, REFUSE_501, IGNORE }

    /** One request as received. */
    record Request(String method, String path, String query, Map<String, String> headers, int bodyLength) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** Such as "PUT /bucket/key" or "POST /bucket/key?uploads". */
        String line() {
            return method + " " + path + (query == null ? "" : "?" + query.replaceAll("=[^&]*", ""));
        }
    }

    private record StoredObject(byte[] content, String eTag) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, StoredObject> objects = new ConcurrentHashMap<>();
    private final Map<String, Map<Integer, byte[]>> uploads = new ConcurrentHashMap<>();
    private volatile IfNoneMatch ifNoneMatch = IfNoneMatch.HONOUR;
    /** The bucket's lifecycle configuration as last put (the request body, verbatim), or null for none. */
    private volatile String lifecycle;
    /** Writes to carry out and then answer with 500, as if the answer were lost. */
    private final java.util.concurrent.atomic.AtomicInteger failAfterWrite = new java.util.concurrent.atomic.AtomicInteger();

    FakeS3() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    void ifNoneMatch(IfNoneMatch behaviour) {
        this.ifNoneMatch = behaviour;
    }

    /** The next {@code count} writes (PUT, complete) are carried out but answered with 500 InternalError. */
    void failAfterWrite(int count) {
        failAfterWrite.set(count);
    }

    /** The lifecycle configuration GetBucketLifecycleConfiguration answers with; null: none (404). */
    void lifecycle(String xml) {
        this.lifecycle = xml;
    }

    /** The lifecycle configuration as the last PutBucketLifecycleConfiguration sent it, or null. */
    String lifecycle() {
        return lifecycle;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    List<String> requestLines() {
        return requests.stream().map(Request::line).toList();
    }

    void clearRequests() {
        requests.clear();
    }

    byte[] object(String path) {
        StoredObject object = objects.get(path);
        return object == null ? null : object.content();
    }

    void putObject(String path, byte[] content) {
        objects.put(path, new StoredObject(content, md5(content)));
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery();
            String method = exchange.getRequestMethod();
            requests.add(new Request(method, path, query, headers, body.length));
            String q = query == null ? "" : query;

            if (q.equals("lifecycle") || q.startsWith("lifecycle=")) {
                // the bucket's lifecycle rules, kept as sent: AWS answers a bucket without any with 404
                String current = lifecycle;
                if (method.equals("PUT")) {
                    lifecycle = new String(body, StandardCharsets.UTF_8);
                    empty(exchange, 200);
                } else if (current == null) {
                    error(exchange, 404, "NoSuchLifecycleConfiguration");
                } else {
                    xml(exchange, 200, current.replaceFirst("^<\\?xml[^>]*\\?>", ""));
                }
            } else if (method.equals("POST") && q.contains("uploads")) {
                String id = "upload-" + uploads.size();
                uploads.put(id, new ConcurrentHashMap<>());
                xml(exchange, 200, "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>" + id
                        + "</UploadId></InitiateMultipartUploadResult>");
            } else if (method.equals("PUT") && q.contains("uploadId=")) {
                Map<Integer, byte[]> parts = uploads.get(param(q, "uploadId"));
                parts.put(Integer.parseInt(param(q, "partNumber")), body);
                exchange.getResponseHeaders().add("ETag", "\"" + md5(body) + "\"");
                empty(exchange, 200);
            } else if (method.equals("POST") && q.contains("uploadId=")) {
                if (conditionalRefused(exchange, headers) || conditionFails(exchange, path, headers)) {
                    return;
                }
                Map<Integer, byte[]> parts = uploads.remove(param(q, "uploadId"));
                MessageDigest digest = digest();
                java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                new TreeMap<>(parts).values().forEach(p -> {
                    digest.update(HexFormat.of().parseHex(md5(p)));
                    all.writeBytes(p);
                });
                String eTag = HexFormat.of().formatHex(digest.digest()) + "-" + parts.size();
                objects.put(path, new StoredObject(all.toByteArray(), eTag));
                if (failAfterWrite.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    error(exchange, 500, "InternalError");
                    return;
                }
                xml(exchange, 200, "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"" + eTag
                        + "\"</ETag></CompleteMultipartUploadResult>");
            } else if (method.equals("DELETE") && q.contains("uploadId=")) {
                uploads.remove(param(q, "uploadId"));
                empty(exchange, 204);
            } else if (method.equals("PUT")) {
                if (conditionalRefused(exchange, headers) || conditionFails(exchange, path, headers)) {
                    return;
                }
                StoredObject object = new StoredObject(body, md5(body));
                objects.put(path, object);
                if (failAfterWrite.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    error(exchange, 500, "InternalError");
                    return;
                }
                exchange.getResponseHeaders().add("ETag", "\"" + object.eTag() + "\"");
                empty(exchange, 200);
            } else if (method.equals("HEAD") && path.lastIndexOf('/') == 0) {
                empty(exchange, 200); // HeadBucket: every bucket exists here
            } else if (method.equals("HEAD") || method.equals("GET")) {
                StoredObject object = objects.get(path);
                if (object == null) {
                    if (method.equals("HEAD")) {
                        empty(exchange, 404);
                    } else {
                        error(exchange, 404, "NoSuchKey");
                    }
                    return;
                }
                Headers response = exchange.getResponseHeaders();
                response.add("ETag", "\"" + object.eTag() + "\"");
                response.add("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)));
                response.add("Content-Type", "application/octet-stream");
                if (method.equals("HEAD")) {
                    response.add("Content-Length", Integer.toString(object.content().length));
                    exchange.sendResponseHeaders(200, -1);
                } else {
                    exchange.sendResponseHeaders(200, object.content().length == 0 ? -1 : object.content().length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(object.content());
                    }
                }
            } else if (method.equals("DELETE")) {
                objects.remove(path);
                empty(exchange, 204);
            } else {
                error(exchange, 501, "NotImplemented");
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            throw e;
        }
    }

    private boolean conditionalRefused(HttpExchange exchange, Map<String, String> headers) throws IOException {
        if (headers.containsKey("if-none-match") && ifNoneMatch == IfNoneMatch.REFUSE_501) {
            error(exchange, 501, "NotImplemented");
            return true;
        }
        return false;
    }

    private boolean conditionFails(HttpExchange exchange, String path, Map<String, String> headers) throws IOException {
        if ("*".equals(headers.get("if-none-match")) && ifNoneMatch == IfNoneMatch.HONOUR && objects.containsKey(path)) {
            error(exchange, 412, "PreconditionFailed");
            return true;
        }
        return false;
    }

    private static String param(String query, String name) {
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        throw new IllegalArgumentException("no " + name + " in " + query);
    }

    private static void empty(HttpExchange exchange, int status) throws IOException {
        exchange.sendResponseHeaders(status, -1);
    }

    private static void error(HttpExchange exchange, int status, String code) throws IOException {
        xml(exchange, status, "<Error><Code>" + code + "</Code><Message>fake " + code + "</Message></Error>");
    }

    private static void xml(HttpExchange exchange, int status, String xml) throws IOException {
        byte[] bytes = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/xml");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static String md5(byte[] content) {
        return HexFormat.of().formatHex(digest().digest(content));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    @Override
    public String toString() {
        return "FakeS3[" + endpoint() + "]";
    }

    static List<String> lines(List<Request> requests) {
        List<String> lines = new ArrayList<>();
        requests.forEach(r -> lines.add(r.line()));
        return lines;
    }
}
