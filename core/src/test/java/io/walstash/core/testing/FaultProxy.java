package io.walstash.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;

/**
 * An HTTP/1.1 reverse proxy on 127.0.0.1 in front of a test server (s3proxy, a fake GCS or
 * Azurite) that breaks requests the way networks and object stores do: it answers 500 or 503
 * itself, hangs without answering, resets the connection or closes it early in the middle of the
 * response body, flips a byte of the response body, or stops listening altogether for a while.
 * Faults are applied on command ({@link #inject}) or at random ({@link #randomly}); every fault
 * applied is counted by kind.
 *
 * <p>Each connection carries one request: the proxy asks both sides for {@code Connection: close},
 * so it never has to understand a body's framing and relays bytes as they are. Plain http only.
 */
public final class FaultProxy implements Closeable {

    /** What the proxy can do to one request. */
    public enum Fault {
        /** answers 500 InternalError without asking the server */
        ERROR_500,
        /** answers 503 SlowDown without asking the server */
        ERROR_503,
        /** reads the request and answers nothing until the client gives up (or {@link #hangLimit}) */
        HANG,
        /**
         * relays part of the body, then resets the connection (RST): of the request when it has
         * one (an upload), else of the response
         */
        RESET_MID_BODY,
        /**
         * relays part of the body, then ends it early: an upload's server sees a short body (and
         * the client a reset), a download's client a normal close (FIN)
         */
        TRUNCATE,
        /** relays the whole request (an upload) or response with one byte of its body inverted */
        FLIP_BYTE
    }

    /** The request as the proxy saw it: method, target (path and query), and whether it carries a body. */
    public record Request(String method, String target, boolean upload) {
    }

    private static final Duration HANG_LIMIT = Duration.ofSeconds(60);

    private final int upstreamPort;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<Fault, AtomicLong> applied = new EnumMap<>(Fault.class);
    private final AtomicLong relayed = new AtomicLong();
    private final Deque<Fault> commanded = new ArrayDeque<>();
    private volatile int port;
    private volatile ServerSocket server;
    /** The loop accepting on {@link #server}: the listening socket is gone only once it has ended. */
    private Future<?> accepting;
    /** While gone: the port, bound but not listening, so that connections are refused and nothing else takes it. */
    private Socket holding;
    private Random random;
    private double probability;
    private Set<Fault> randomKinds = Set.of();
    private BiPredicate<Fault, Request> eligible = (f, r) -> true;
    private BiConsumer<Fault, Request> listener = (f, r) -> { };
    private Duration hangLimit = HANG_LIMIT;
    private long disappearances;

    private FaultProxy(int upstreamPort) {
        this.upstreamPort = upstreamPort;
        for (Fault fault : Fault.values()) {
            applied.put(fault, new AtomicLong());
        }
    }

    /** Starts a proxy on a free port of 127.0.0.1 that relays to 127.0.0.1:{@code upstreamPort}. */
    public static FaultProxy start(int upstreamPort) throws IOException {
        FaultProxy proxy = new FaultProxy(upstreamPort);
        proxy.listen(0);
        return proxy;
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:port}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The next {@code count} eligible requests suffer {@code fault} (before any random fault). */
    public synchronized void inject(Fault fault, int count) {
        for (int i = 0; i < count; i++) {
            commanded.add(fault);
        }
    }

    /**
     * From now on each eligible request suffers one of {@code kinds} with {@code probability},
     * drawn from {@code random}; a probability of 0 (or no kinds) stops random faults.
     */
    public synchronized void randomly(Random random, double probability, Set<Fault> kinds) {
        this.random = random;
        this.probability = probability;
        this.randomKinds = Set.copyOf(kinds);
    }

    /**
     * A fault (commanded or drawn at random) hits a request only where {@code filter} accepts the
     * pair; otherwise the request goes through untouched (a commanded fault waits for the next
     * request). Default: every fault anywhere.
     */
    public synchronized void only(BiPredicate<Fault, Request> filter) {
        this.eligible = filter;
    }

    /** Told of every fault as it is applied (on the proxy's threads). */
    public synchronized void onFault(BiConsumer<Fault, Request> listener) {
        this.listener = listener;
    }

    /** How long a hanging request is held at most when its client does not give up first. */
    public synchronized void hangLimit(Duration limit) {
        this.hangLimit = limit;
    }

    /** No more faults: commanded ones are dropped, random ones stopped. */
    public synchronized void calm() {
        commanded.clear();
        probability = 0;
    }

    /**
     * Stops listening and resets every open connection, as a server that went away; connections
     * are refused until {@link #reappear()}. The port stays held meanwhile (see {@link #hold}).
     */
    public synchronized void disappear() throws IOException {
        if (stopListening()) {
            holding = hold(port);
        }
    }

    /** Closes the listening socket and resets every open connection; false when not listening. */
    private synchronized boolean stopListening() throws IOException {
        ServerSocket listening = server;
        if (listening == null) {
            return false;
        }
        server = null;
        listening.close();
        // a thread blocked in accept() keeps the socket listening until it is woken: wait for that,
        // so that the port is free (to hold, or to listen on again) and connections are refused
        try {
            accepting.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the proxy stopped listening");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the proxy's accepting thread did not end", e);
        }
        for (Socket socket : open) {
            reset(socket);
        }
        disappearances++;
        return true;
    }

    /** Listens again on the same port after {@link #disappear()}. */
    public synchronized void reappear() throws IOException {
        if (server == null) {
            release();
            listen(port);
        }
    }

    /**
     * Binds {@code port} without listening, so that a connection to it is refused (reset) for
     * certain: no client's connect picks a bound port as its own (a self-connect would look like an
     * answer), and bound without SO_REUSEADDR no other socket, of this process or another, can take
     * the port and listen on it. While the proxy's closed connections linger in TIME_WAIT on the port
     * that bind is refused; the port is then bound with SO_REUSEADDR, which only a listener that asks
     * for reuse itself could share. Even that is refused, now and then, for a moment after the
     * connections were reset (a CI run met it once in a campaign of 400 faults): tried again then,
     * for at most {@link #HOLD_PATIENCE}.
     */
    private static Socket hold(int port) throws IOException {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long deadline = System.nanoTime() + HOLD_PATIENCE.toNanos();
        while (true) {
            IOException refused = null;
            for (boolean reuse : new boolean[] {false, true}) {
                Socket placeholder = new Socket();
                try {
                    placeholder.setReuseAddress(reuse);
                    placeholder.bind(address);
                    return placeholder;
                } catch (IOException e) {
                    placeholder.close();
                    refused = e;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("could not hold port " + port + " for " + HOLD_PATIENCE + " after the proxy stopped"
                        + " listening on it", refused);
            }
            try {
                Thread.sleep(10); // not a synchronisation: the kernel frees the port on its own time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while holding port " + port);
            }
        }
    }

    /** How long {@link #hold} tries to bind the port the proxy stopped listening on. */
    private static final Duration HOLD_PATIENCE = Duration.ofSeconds(10);

    private void release() throws IOException {
        if (holding != null) {
            holding.close();
            holding = null;
        }
    }

    public boolean isListening() {
        return server != null;
    }

    /** Faults applied so far by kind ({@link #disappearances()} counts outages). */
    public Map<Fault, Long> applied() {
        Map<Fault, Long> copy = new EnumMap<>(Fault.class);
        applied.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    public synchronized long disappearances() {
        return disappearances;
    }

    /** Requests relayed to the server untouched. */
    public long relayed() {
        return relayed.get();
    }

    private void listen(int onPort) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 64);
        port = socket.getLocalPort();
        server = socket;
        accepting = threads.submit(() -> accept(socket));
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                open.add(client);
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                return; // closed by disappear() or close()
            }
        }
    }

    private synchronized Fault choose(Request request) {
        if (!commanded.isEmpty()) {
            if (eligible.test(commanded.peek(), request)) {
                return commanded.poll();
            }
            return null;
        }
        if (probability > 0 && !randomKinds.isEmpty() && random.nextDouble() < probability) {
            Fault[] kinds = randomKinds.stream().sorted().toArray(Fault[]::new);
            Fault fault = kinds[random.nextInt(kinds.length)];
            return eligible.test(fault, request) ? fault : null;
        }
        return null;
    }

    private synchronized int draw(int bound) {
        return random == null ? bound / 2 : random.nextInt(bound);
    }

    private void serve(Socket client) {
        try (client) {
            InputStream fromClient = client.getInputStream();
            Head head = Head.read(fromClient);
            if (head == null) {
                return;
            }
            Request request = new Request(head.method(), head.target(), head.contentLength() > 1);
            Fault fault = choose(request);
            if (fault == Fault.ERROR_500 || fault == Fault.ERROR_503) {
                count(fault, request);
                answerError(client, fromClient, head, fault == Fault.ERROR_500 ? 500 : 503);
                return;
            }
            if (fault == Fault.HANG) {
                count(fault, request);
                hang(client, fromClient);
                return;
            }
            relay(client, fromClient, head, request, fault);
        } catch (IOException e) {
            // a client or server that went away mid-request: that connection is over, nothing else to do
        } finally {
            open.remove(client);
        }
    }

    private void count(Fault fault, Request request) {
        applied.get(fault).incrementAndGet();
        BiConsumer<Fault, Request> told;
        synchronized (this) {
            told = listener;
        }
        told.accept(fault, request);
    }

    private void answerError(Socket client, InputStream fromClient, Head head, int status) throws IOException {
        String code = status == 500 ? "InternalError" : "SlowDown";
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code
                + "</Code><Message>injected by the fault proxy</Message></Error>";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String response = "HTTP/1.1 " + status + (status == 500 ? " Internal Server Error" : " Service Unavailable")
                + "\r\nContent-Type: application/xml\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
        OutputStream out = client.getOutputStream();
        out.write(response.getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        // read what the client still sends (a body not yet sent, unless it waits for 100-continue)
        // so that closing does not turn into a reset that hides the answer
        client.shutdownOutput();
        client.setSoTimeout(2000);
        long left = head.contentLength();
        byte[] sink = new byte[8192];
        try {
            while (left != 0) {
                int n = fromClient.read(sink);
                if (n < 0) {
                    break;
                }
                left -= n;
            }
        } catch (IOException e) {
            // the client closed first or stopped sending: either way the answer was delivered
        }
    }

    private void hang(Socket client, InputStream fromClient) throws IOException {
        long limit;
        synchronized (this) {
            limit = hangLimit.toMillis();
        }
        client.setSoTimeout((int) Math.max(1, limit));
        byte[] sink = new byte[8192];
        try {
            while (fromClient.read(sink) >= 0) {
                // swallow the body; the client decides when to give up
            }
        } catch (java.net.SocketTimeoutException e) {
            // held as long as we hold anything
        }
    }

    private void relay(Socket client, InputStream fromClient, Head head, Request request, Fault chosen) throws IOException {
        Fault fault = chosen;
        try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
            open.add(upstream);
            try {
                OutputStream toUpstream = upstream.getOutputStream();
                toUpstream.write(head.withConnectionClose());
                toUpstream.flush();
                long body = head.contentLength();
                if (fault != null && body > 1) {
                    // an upload: the fault hits the request body on its way to the server
                    count(fault, request);
                    long at = 1 + draw((int) Math.min(Integer.MAX_VALUE - 1, body - 1));
                    Fault broken = fault;
                    threads.execute(() -> pumpBroken(fromClient, toUpstream, upstream, client, at, broken));
                    fault = null;
                } else {
                    threads.execute(() -> pump(fromClient, toUpstream, upstream));
                }
                relayResponse(upstream.getInputStream(), client, request, fault);
            } finally {
                open.remove(upstream);
            }
        }
    }

    /** Copies the rest of the request (its body) to the server; ends when either side closes. */
    private static void pump(InputStream from, OutputStream to, Socket upstream) {
        byte[] buffer = new byte[16384];
        try {
            int n;
            while ((n = from.read(buffer)) >= 0) {
                to.write(buffer, 0, n);
                to.flush();
            }
            upstream.shutdownOutput();
        } catch (IOException e) {
            // one side is gone; the response side notices on its own
        }
    }

    /**
     * Copies {@code at} bytes of the request body, then breaks it: a reset of both connections, a
     * premature end (the server sees a short body, the client a reset), or one inverted byte.
     */
    private static void pumpBroken(InputStream from, OutputStream to, Socket upstream, Socket client, long at, Fault fault) {
        try {
            copy(from, to, at);
            to.flush();
            switch (fault) {
                case FLIP_BYTE -> {
                    int b = from.read();
                    if (b >= 0) {
                        to.write(~b & 0xff);
                    }
                    pump(from, to, upstream);
                }
                case TRUNCATE -> {
                    upstream.shutdownOutput();
                    reset(client);
                }
                default -> {
                    reset(upstream);
                    reset(client);
                }
            }
        } catch (IOException e) {
            // one side is gone; the response side notices on its own
        }
    }

    private void relayResponse(InputStream fromUpstream, Socket client, Request request, Fault fault) throws IOException {
        OutputStream toClient = client.getOutputStream();
        Head response;
        do { // interim answers (100 Continue) go through as they are
            response = Head.read(fromUpstream);
            if (response == null) {
                return;
            }
            toClient.write(response.raw());
            toClient.flush();
        } while (response.status() >= 100 && response.status() < 200);
        // a HEAD's answer and bodiless statuses announce a length but carry no body to break
        boolean bodiless = "HEAD".equals(request.method()) || response.status() == 204 || response.status() == 304;
        long length = bodiless ? 0 : response.contentLength();
        if (fault != null && length > 1) {
            count(fault, request);
            long at = 1 + draw((int) Math.min(Integer.MAX_VALUE - 1, length - 1));
            copy(fromUpstream, toClient, at);
            switch (fault) {
                case RESET_MID_BODY -> {
                    toClient.flush();
                    reset(client);
                    return;
                }
                case TRUNCATE -> {
                    toClient.flush();
                    client.shutdownOutput();
                    return;
                }
                case FLIP_BYTE -> {
                    int b = fromUpstream.read();
                    if (b >= 0) {
                        toClient.write(~b & 0xff);
                    }
                }
                default -> throw new IllegalStateException("not a body fault: " + fault);
            }
        } else {
            relayed.incrementAndGet();
        }
        fromUpstream.transferTo(toClient);
        toClient.flush();
    }

    private static void copy(InputStream in, OutputStream out, long count) throws IOException {
        byte[] buffer = new byte[16384];
        long left = count;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                return;
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    /** Closes with SO_LINGER 0, which sends RST instead of FIN. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (SocketException e) {
            // already closed
        } catch (IOException e) {
            // closing a socket we give up on
        }
    }

    @Override
    public void close() throws IOException {
        try {
            synchronized (this) {
                stopListening();
                release();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** A request or response head: start line and headers, as read and as re-sent. */
    private record Head(String startLine, Map<String, String> headers, byte[] raw) {

        static Head read(InputStream in) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int state = 0; // how much of CR LF CR LF has been seen
            while (state < 4) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                bytes.write(b);
                if (bytes.size() > 65536) {
                    throw new IOException("head too long");
                }
                state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                        : b == '\r' ? 1 : 0;
            }
            byte[] raw = bytes.toByteArray();
            String[] lines = new String(raw, StandardCharsets.ISO_8859_1).split("\r\n");
            Map<String, String> headers = new ConcurrentHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
                }
            }
            return new Head(lines[0], headers, raw);
        }

        String method() {
            return startLine.split(" ", 3)[0];
        }

        String target() {
            String[] parts = startLine.split(" ", 3);
            return parts.length > 1 ? parts[1] : "";
        }

        int status() {
            String[] parts = startLine.split(" ", 3);
            try {
                return Integer.parseInt(parts[1]);
            } catch (RuntimeException e) {
                return 0;
            }
        }

        long contentLength() {
            String value = headers.get("content-length");
            try {
                return value == null ? -1 : Long.parseLong(value);
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /** The head with {@code Connection: close}, so that the server closes after its answer. */
        byte[] withConnectionClose() {
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            StringBuilder out = new StringBuilder();
            for (String line : text.split("\r\n")) {
                if (!line.isEmpty() && !line.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                    out.append(line).append("\r\n");
                }
            }
            out.append("Connection: close\r\n\r\n");
            return out.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
