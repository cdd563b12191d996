package io.walstash.storage.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An embedded s3proxy on 127.0.0.1 and a free port, storing into a temporary directory, for
 * tests of this module and of others (published in this module's test-jar).
 *
 * <p>As a JUnit 5 extension: {@code @RegisterExtension static final S3ProxyServer S3 = new
 * S3ProxyServer();} starts it before the class's tests and stops it, deleting its data, after
 * them. Without JUnit: {@code try (S3ProxyServer s3 = S3ProxyServer.start()) { ... }}.
 * {@link #settings(String)} gives the walstash settings that reach a bucket on it.
 */
public final class S3ProxyServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    public static final String ACCESS_KEY = "walstash-test-key";
    public static final String SECRET_KEY = "walstash-test-secret-0123456789";
    public static final String REGION = "us-east-1";

    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private Path keyStore;
    private String keyStorePassword;
    private Path dataDir;
    private BlobStore blobStore;
    /** s3proxy's in-memory store instead of files: it keeps versions (PutBucketVersioning works), the file store does not. */
    private boolean inMemory;
    private S3Proxy proxy;
    private int port;
    private S3Client client;

    /** An unstarted server, for {@code @RegisterExtension}. */
    public S3ProxyServer() {
    }

    /** Starts a server; close it when done. */
    public static S3ProxyServer start() throws Exception {
        S3ProxyServer server = new S3ProxyServer();
        server.startFresh();
        return server;
    }

    /**
     * Starts a server that keeps its data in memory, in s3proxy's transient store: unlike the file
     * store it implements bucket versioning. Close it when done.
     */
    public static S3ProxyServer startInMemory() throws Exception {
        S3ProxyServer server = new S3ProxyServer();
        server.inMemory = true;
        server.startFresh();
        return server;
    }

    /** Starts a server that speaks only https, with the key and certificate in {@code keyStore} (PKCS12). */
    public static S3ProxyServer startTls(Path keyStore, String password) throws Exception {
        S3ProxyServer server = new S3ProxyServer();
        server.keyStore = keyStore;
        server.keyStorePassword = password;
        server.startFresh();
        return server;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        startFresh();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    private synchronized void startFresh() throws Exception {
        if (proxy != null) {
            throw new IllegalStateException("already started");
        }
        if (inMemory) {
            blobStore = new TransientNio2BlobStore();
        } else {
            dataDir = Files.createTempDirectory("walstash-s3proxy");
            blobStore = new FilesystemNio2BlobStore(dataDir.toString());
        }
        port = 0;
        startProxy();
    }

    private void startProxy() throws Exception {
        S3Proxy.Builder builder = S3Proxy.builder()
                .blobStore(blobStore)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                // a test's requests are over by the time it stops the server: no graceful drain
                .stopTimeout(0);
        if (keyStore == null) {
            builder.endpoint(URI.create("http://127.0.0.1:" + port));
        } else {
            builder.secureEndpoint(URI.create("https://127.0.0.1:" + port)).keyStore(keyStore.toString(), keyStorePassword);
        }
        S3Proxy built = builder.build();
        built.start(); // returns once the connector is bound
        if (!"STARTED".equals(built.getState())) {
            built.stop();
            throw new IllegalStateException("s3proxy did not start: " + built.getState());
        }
        port = keyStore == null ? built.getPort() : built.getSecurePort();
        proxy = built;
    }

    /** Stops serving but keeps the data, for tests of a server that goes away; {@link #restart()} brings it back. */
    public synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    /** Serves the same data again on the same port. */
    public synchronized void restart() throws Exception {
        if (proxy != null) {
            throw new IllegalStateException("still running");
        }
        startProxy();
    }

    public boolean isRunning() {
        return proxy != null;
    }

    /** {@code http://127.0.0.1:port}, or {@code https://} for a server started with {@link #startTls}. */
    public URI endpoint() {
        if (port == 0) {
            throw new IllegalStateException("not started");
        }
        return URI.create((keyStore == null ? "http" : "https") + "://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** The settings that reach this server, as environment variables would give them. */
    public Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("AWS_ENDPOINT", endpoint().toString());
        settings.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
        settings.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
        settings.put("AWS_REGION", REGION);
        settings.put("AWS_S3_FORCE_PATH_STYLE", "true");
        return settings;
    }

    /** {@link #settings()} plus {@code WALSTASH_STORAGE=s3://bucket/prefix}. */
    public Map<String, String> settings(String storageUri) {
        Map<String, String> settings = settings();
        settings.put("WALSTASH_STORAGE", storageUri);
        return settings;
    }

    /** Creates a bucket and returns its name. */
    public String createBucket(String name) {
        client().createBucket(b -> b.bucket(name));
        return name;
    }

    /** Creates a bucket with a name no other call in this JVM gets. */
    public String newBucket() {
        return createBucket(uniqueBucketName("walstash-test"));
    }

    /** A valid bucket name, unique in this JVM; nothing is created. */
    public static String uniqueBucketName(String stem) {
        return (stem + "-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet()).toLowerCase(Locale.ROOT);
    }

    /** A plain SDK client for this (http) server, for assertions that look behind the storage (closed with the server). */
    public synchronized S3Client client() {
        if (client == null) {
            client = S3Client.builder()
                    .endpointOverride(endpoint())
                    .region(Region.of(REGION))
                    .forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                    .httpClientBuilder(UrlConnectionHttpClient.builder())
                    .build();
        }
        return client;
    }

    /** Stops the server and deletes its data. */
    @Override
    public synchronized void close() throws IOException {
        try {
            if (client != null) {
                client.close();
                client = null;
            }
            stop();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot stop s3proxy: " + e, e);
        } finally {
            if (dataDir != null) {
                deleteTree(dataDir);
                dataDir = null;
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Override
    public String toString() {
        return "S3ProxyServer[" + (port == 0 ? "not started" : endpoint()) + (proxy == null ? ", stopped" : "") + "]";
    }
}
