package io.walstash.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.config.Settings;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.testing.CuttableProxy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An https endpoint with a private CA (a self-signed certificate made with keytool): trusted only through WALSTASH_S3_CA_FILE. */
class S3TlsTest {
    private static final String PASSWORD = "test-keystore-password";

    @TempDir
    static Path dir;

    private static S3ProxyServer server;
    private static Path caFile;
    private static Path otherCaFile;
    private static String bucket;

    @BeforeAll
    static void startTlsServer() throws Exception {
        Path keyStore = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keyStore.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD);
        caFile = dir.resolve("ca.pem");
        keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-file", caFile.toString());
        Path otherStore = dir.resolve("other.p12");
        keytool("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=other",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", otherStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        otherCaFile = dir.resolve("other.pem");
        keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", otherStore.toString(), "-storepass", PASSWORD,
                "-file", otherCaFile.toString());

        server = S3ProxyServer.startTls(keyStore, PASSWORD);
        bucket = S3ProxyServer.uniqueBucketName("walstash-tls");
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("keytool failed: " + new String(output));
        }
    }

    private static Map<String, String> settings(String... more) {
        Map<String, String> settings = new HashMap<>(server.settings());
        settings.put("WALSTASH_S3_MAX_RETRIES", "0");
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    @Test
    void privateCaIsTrustedThroughTheCaFile() throws IOException {
        assertThat(server.endpoint().getScheme()).isEqualTo("https");
        try (Storage storage = new S3StorageProvider().open(URI.create("s3://" + bucket + "/repo"),
                Settings.of(settings("WALG_S3_CA_CERT_FILE", caFile.toString())))) {
            ((S3Storage) storage).createBucketIfMissing();
            assertThat(storage.createIfAbsent("k", new ByteArrayInputStream(new byte[] {4, 5}))).isTrue();
            try (InputStream in = storage.read("k")) {
                assertThat(in.readAllBytes()).containsExactly(4, 5);
            }
        }
    }

    @Test
    void withoutTheCaFileTheHandshakeFails() throws IOException {
        try (Storage storage = new S3StorageProvider().open(URI.create("s3://" + bucket + "/repo"), Settings.of(settings()))) {
            assertThatThrownBy(() -> storage.stat("k"))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(StorageFailure.Reason.TLS))
                    .hasMessageStartingWith("TLS problem: HEAD k in bucket '" + bucket + "': TLS handshake with " + server.endpoint() + " failed: ")
                    .hasMessageEndingWith("(a private CA goes in WALSTASH_S3_CA_FILE)")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void anotherCaDoesNotHelp() throws IOException {
        try (Storage storage = new S3StorageProvider().open(URI.create("s3://" + bucket + "/repo"),
                Settings.of(settings("WALSTASH_S3_CA_FILE", otherCaFile.toString())))) {
            assertThatThrownBy(() -> storage.stat("k"))
                    .isInstanceOfSatisfying(StorageFailure.class, e -> assertThat(e.reason()).isEqualTo(StorageFailure.Reason.TLS));
        }
    }

    @Test
    void aFileWithoutCertificatesFailsOnOpen() throws IOException {
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello");
        assertThatThrownBy(() -> new S3StorageProvider().open(URI.create("s3://" + bucket + "/repo"),
                Settings.of(settings("WALSTASH_S3_CA_FILE", notPem.toString()))))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("WALSTASH_S3_CA_FILE " + notPem + " holds no");
    }

    /**
     * A listing's chunked body ends with an empty chunk that the SDK's parser leaves unread; over TLS
     * the JDK then dropped the connection, and every listing cost the next request a new handshake
     * (a wal-fetch lists, then reads). With the bodies drained, one connection serves them all.
     */
    @Test
    void listingsAndReadsOneAfterAnotherShareOneConnection() throws IOException {
        try (CuttableProxy relay = new CuttableProxy(server.endpoint().getPort());
             Storage storage = new S3StorageProvider().open(URI.create("s3://" + bucket + "/reuse"), Settings.of(settings(
                     "WALSTASH_S3_CA_FILE", caFile.toString(), "AWS_ENDPOINT", "https://127.0.0.1:" + relay.port())))) {
            ((S3Storage) storage).createBucketIfMissing();
            for (int i = 0; i < 3; i++) {
                storage.createIfAbsent("wal/segment-" + i, new ByteArrayInputStream(("content " + i).getBytes(StandardCharsets.UTF_8)));
            }
            int before = relay.connections();
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 3; i++) {
                    try (Stream<ObjectInfo> listed = storage.list("wal/segment-" + i)) {
                        assertThat(listed).hasSize(1);
                    }
                    try (InputStream in = storage.read("wal/segment-" + i)) {
                        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("content " + i);
                    }
                }
            }
            // (one more allowed: the JDK lets a pooled connection go after 5 s idle, a pause a loaded machine may make)
            assertThat(relay.connections() - before).as("connections opened by 15 listings and 15 reads in turn").isLessThanOrEqualTo(1);
        }
    }
}
