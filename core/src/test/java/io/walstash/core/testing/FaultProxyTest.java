package io.walstash.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fault proxy does to a request exactly what it is told, and nothing to the others. */
class FaultProxyTest {
    private static final byte[] BODY = new byte[4096];

    static {
        new Random(7).nextBytes(BODY);
    }

    private HttpServer upstream;
    private FaultProxy proxy;
    private final List<byte[]> uploads = new CopyOnWriteArrayList<>();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeEach
    void start() throws IOException {
        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            byte[] received = exchange.getRequestBody().readAllBytes();
            if (received.length > 0) {
                uploads.add(received);
            }
            exchange.sendResponseHeaders(200, BODY.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(BODY);
            }
        });
        upstream.start();
        proxy = FaultProxy.start(upstream.getAddress().getPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        upstream.stop(0);
    }

    private HttpResponse<byte[]> get() throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(proxy.endpoint() + "/object")).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void relaysUntouchedWithoutFaults() throws Exception {
        HttpResponse<byte[]> response = get();
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(BODY);
        assertThat(proxy.relayed()).isEqualTo(1);
        assertThat(proxy.applied().values()).allMatch(n -> n == 0);
    }

    @Test
    void answersErrorsItself() throws Exception {
        proxy.inject(FaultProxy.Fault.ERROR_500, 1);
        proxy.inject(FaultProxy.Fault.ERROR_503, 1);
        assertThat(get().statusCode()).isEqualTo(500);
        HttpResponse<byte[]> slowDown = get();
        assertThat(slowDown.statusCode()).isEqualTo(503);
        assertThat(new String(slowDown.body())).contains("<Code>SlowDown</Code>");
        assertThat(get().body()).isEqualTo(BODY);
        assertThat(proxy.applied()).containsEntry(FaultProxy.Fault.ERROR_500, 1L).containsEntry(FaultProxy.Fault.ERROR_503, 1L);
    }

    @Test
    void flipsExactlyOneByteOfTheResponse() throws Exception {
        proxy.inject(FaultProxy.Fault.FLIP_BYTE, 1);
        byte[] received = get().body();
        assertThat(received).hasSameSizeAs(BODY);
        int differing = 0;
        for (int i = 0; i < BODY.length; i++) {
            if (received[i] != BODY[i]) {
                differing++;
                assertThat(received[i]).isEqualTo((byte) ~BODY[i]);
            }
        }
        assertThat(differing).isEqualTo(1);
    }

    @Test
    void truncatedAndResetBodiesFailTheClient() throws Exception {
        proxy.inject(FaultProxy.Fault.TRUNCATE, 1);
        proxy.inject(FaultProxy.Fault.RESET_MID_BODY, 1);
        assertThatThrownBy(this::get).isInstanceOf(IOException.class);
        assertThatThrownBy(this::get).isInstanceOf(IOException.class);
        assertThat(get().body()).isEqualTo(BODY);
        assertThat(proxy.applied()).containsEntry(FaultProxy.Fault.TRUNCATE, 1L).containsEntry(FaultProxy.Fault.RESET_MID_BODY, 1L);
    }

    @Test
    void flipsABytesOfAnUploadOnItsWayToTheServer() throws Exception {
        byte[] upload = Arrays.copyOf(BODY, 1000);
        proxy.inject(FaultProxy.Fault.FLIP_BYTE, 1);
        List<FaultProxy.Request> seen = new CopyOnWriteArrayList<>();
        proxy.onFault((fault, request) -> seen.add(request));
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create(proxy.endpoint() + "/up"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(uploads).singleElement().satisfies(stored -> {
            assertThat(stored).hasSameSizeAs(upload).isNotEqualTo(upload);
        });
        assertThat(seen).singleElement().isEqualTo(new FaultProxy.Request("PUT", "/up", true));
    }

    @Test
    void hangsUntilTheClientGivesUp() {
        proxy.inject(FaultProxy.Fault.HANG, 1);
        long started = System.nanoTime();
        assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(URI.create(proxy.endpoint() + "/object"))
                .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.ofByteArray()))
                .isInstanceOf(java.net.http.HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
    }

    @Test
    void refusesConnectionsWhileGone() throws Exception {
        proxy.disappear();
        assertThat(proxy.isListening()).isFalse();
        // the port stays the proxy's: nothing else (another test's server) can listen there meanwhile
        try (ServerSocket other = new ServerSocket()) {
            assertThatThrownBy(() -> other.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port())))
                    .isInstanceOf(BindException.class);
        }
        // a plain connect: the HTTP client's own connection handling plays no part in "refused"
        assertThatThrownBy(() -> new java.net.Socket(InetAddress.getLoopbackAddress(), proxy.port()).close())
                .isInstanceOf(java.net.ConnectException.class);
        proxy.reappear();
        assertThat(get().body()).isEqualTo(BODY);
        assertThat(proxy.disappearances()).isEqualTo(1);
    }

    @Test
    void goesAndComesBackAfterServedConnections() throws Exception {
        // served connections may linger in TIME_WAIT on the proxy's port: it is held all the same
        for (int round = 1; round <= 3; round++) {
            assertThat(get().body()).isEqualTo(BODY);
            proxy.disappear();
            assertThatThrownBy(() -> new java.net.Socket(InetAddress.getLoopbackAddress(), proxy.port()).close())
                    .isInstanceOf(java.net.ConnectException.class);
            proxy.reappear();
        }
        assertThat(get().body()).isEqualTo(BODY);
        assertThat(proxy.disappearances()).isEqualTo(3);
    }

    @Test
    void onlyFaultsWhereTheFilterSays() throws Exception {
        proxy.only((fault, request) -> request.target().startsWith("/wal/"));
        proxy.randomly(new Random(1), 1.0, java.util.Set.of(FaultProxy.Fault.ERROR_503));
        assertThat(get().statusCode()).isEqualTo(200);
        assertThat(client.send(HttpRequest.newBuilder(URI.create(proxy.endpoint() + "/wal/x")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(503);
        proxy.calm();
        assertThat(client.send(HttpRequest.newBuilder(URI.create(proxy.endpoint() + "/wal/x")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(200);
    }
}
