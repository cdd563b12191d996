package io.walstash.core.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A local HTTP server on 127.0.0.1 and a free port that keeps every request it gets and answers a fixed status. */
public final class WebhookReceiver implements AutoCloseable {
    /** One received request. */
    public record Request(String method, String path, String contentType, String body) {
    }

    private final HttpServer server;
    private final LinkedBlockingQueue<Request> received = new LinkedBlockingQueue<>();

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    public static WebhookReceiver start(int status) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        WebhookReceiver receiver = new WebhookReceiver(server);
        server.createContext("/", exchange -> {
            receiver.received.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        return receiver;
    }

    /** The URL of {@code path} on this server. */
    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The next request, waiting at most {@code seconds}; null when none came. */
    public Request next(double seconds) throws InterruptedException {
        return received.poll((long) (seconds * 1000), TimeUnit.MILLISECONDS);
    }

    public boolean nothingReceived() {
        return received.isEmpty();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
