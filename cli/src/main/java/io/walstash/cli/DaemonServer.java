package io.walstash.cli;

import io.walstash.core.archive.WalRequests;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.StorageLocation;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves wal-push and wal-fetch requests from {@link DaemonClient} on a Unix domain socket,
 * through one long-lived {@link WalRequests} (storage client warm), answering each exactly as the
 * command line would ({@link WalOutcome}). At most {@code threads} requests run at once; further
 * connections wait in the socket's backlog.
 */
final class DaemonServer implements Closeable {
    /** How long closing waits for requests in flight: under systemd's default 90 s stop timeout. */
    static final Duration DRAIN = Duration.ofSeconds(30);
    /**
     * How long a connection may take to send its request; the client writes it at once. Without
     * this, a few connections that never send would hold every thread and stall archiving.
     */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final Path socket;
    private final ServerSocketChannel server;
    private final WalRequests wal;
    private final Configuration configuration;
    private final ExecutorService pool;
    private final Semaphore slots;
    private final ScheduledExecutorService timer;
    /** Sends webhook notifications of failed pushes, one at a time, off the request threads. */
    private final ExecutorService notifier;
    private final Duration requestTimeout;
    private final PrintStream log;
    private boolean closed;

    private DaemonServer(Path socket, ServerSocketChannel server, WalRequests wal, Configuration configuration,
                         int threads, Duration requestTimeout, PrintStream log) {
        this.socket = socket;
        this.requestTimeout = requestTimeout;
        this.server = server;
        this.wal = wal;
        this.configuration = configuration;
        this.slots = new Semaphore(threads);
        this.log = log;
        AtomicInteger counter = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, task -> new Thread(task, "walstash-daemon-" + counter.incrementAndGet()));
        this.notifier = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "walstash-daemon-notify");
            thread.setDaemon(true);
            return thread;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "walstash-daemon-timeouts");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Listens on {@code socket}, which only this OS user can connect to. The server owns {@code wal}
     * from here on: closing the server closes it.
     *
     * @throws IOException when a daemon already answers there, or the path is something other than a socket
     */
    static DaemonServer start(Path socket, WalRequests wal, Configuration configuration, int threads, PrintStream log)
            throws IOException {
        return start(socket, wal, configuration, threads, REQUEST_TIMEOUT, log);
    }

    static DaemonServer start(Path socket, WalRequests wal, Configuration configuration, int threads,
                              Duration requestTimeout, PrintStream log) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        Path absolute = socket.toAbsolutePath();
        removeStale(absolute);
        return new DaemonServer(absolute, bindPrivately(absolute), wal, configuration, threads, requestTimeout, log);
    }

    Path socket() {
        return socket;
    }

    /** Accepts connections until {@link #close()}; returns then. */
    void serve() {
        while (true) {
            slots.acquireUninterruptibly();
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                slots.release();
                if (!server.isOpen()) {
                    return;
                }
                log.println("walstash daemon: accept failed: " + e.getMessage());
                continue;
            }
            try {
                pool.execute(() -> {
                    try {
                        handle(client);
                    } finally {
                        slots.release();
                    }
                });
            } catch (RejectedExecutionException e) {
                // closing: the client sees the connection end without an answer and serves itself
                closeQuietly(client);
                slots.release();
                return;
            }
        }
    }

    private void handle(SocketChannel client) {
        long started = System.nanoTime();
        try (client) {
            InputStream in = Channels.newInputStream(client);
            OutputStream out = Channels.newOutputStream(client);
            DaemonProtocol.Request request;
            // closing the channel from the timer ends the blocked read (AsynchronousCloseException)
            ScheduledFuture<?> timeout = timer.schedule(() -> closeQuietly(client), requestTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
            try {
                request = DaemonProtocol.readRequest(in);
            } catch (java.nio.channels.AsynchronousCloseException e) {
                log.println("walstash daemon: a client sent no request within " + requestTimeout.toMillis() + " ms");
                return;
            } catch (DaemonProtocol.VersionMismatchException e) {
                // Answer in our version: a client of any version recognises a frame of another one and serves itself.
                DaemonProtocol.writeResponse(out, DaemonProtocol.Response.declined(e.getMessage()));
                log.println("walstash daemon: declined a request: " + e.getMessage());
                return;
            } finally {
                timeout.cancel(false);
            }
            DaemonProtocol.Response response = answer(request, started);
            // logged before answering: once a client has its answer, the log has the line
            log.println("walstash daemon: " + request.verb() + " " + String.join(" ", request.arguments())
                    + (response.kind() == DaemonProtocol.Kind.RESULT ? " exit " + response.exitCode() : " declined")
                    + " in " + (System.nanoTime() - started) / 1_000_000 + " ms"
                    + (response.message().isEmpty() ? "" : ": " + response.message()));
            DaemonProtocol.writeResponse(out, response);
        } catch (java.io.EOFException e) {
            // a probe (a second daemon checking this one is alive) or a client that died
            log.println("walstash daemon: a client closed its connection before a whole request");
        } catch (IOException e) {
            log.println("walstash daemon: connection failed: " + e.getMessage());
        }
    }

    DaemonProtocol.Response answer(DaemonProtocol.Request request, long startedNanos) {
        String mismatch = mismatch(request.settings());
        if (mismatch != null) {
            return DaemonProtocol.Response.declined(mismatch);
        }
        WalOutcome outcome;
        try {
            Path directory = Path.of(request.workingDirectory());
            outcome = switch (request.verb()) {
                case PUSH -> WalOutcome.push(wal, directory.resolve(request.arguments().get(0)), startedNanos);
                case FETCH -> WalOutcome.fetch(wal, request.arguments().get(0), directory.resolve(request.arguments().get(1)));
            };
        } catch (Exception e) {
            outcome = WalOutcome.failure(e);
        }
        if (request.verb() == DaemonProtocol.Verb.PUSH && outcome.exitCode() != ExitCode.OK.code()) {
            // as the command line does after a failed wal-push; on its own thread, so that a slow
            // webhook never delays the answer PostgreSQL waits for
            WalOutcome failed = outcome;
            notifier.execute(() -> Notifications.send(configuration, "wal-push", failed.exitCode(),
                    Notifications.problemOf(failed.message()).stream().toList(), log::println));
        }
        return DaemonProtocol.Response.result(outcome.exitCode(), outcome.message());
    }

    /**
     * Why this daemon must not serve a client whose environment or config file names another
     * repository or codec, or null when it may. Settings the client does not give are the daemon's.
     */
    String mismatch(Map<String, String> clientSettings) {
        if (clientSettings.isEmpty()) {
            return null;
        }
        try {
            Configuration client = Configuration.load(Map.of(), clientSettings);
            if (client.settings().get(Configuration.STORAGE).isPresent()) {
                StorageLocation theirs = client.storage();
                StorageLocation ours = configuration.storage();
                if (!theirs.equals(ours)) {
                    return "the client's storage " + theirs + " is not the daemon's " + ours;
                }
            }
            String theirCodec = client.compression().toLowerCase(Locale.ROOT);
            String ourCodec = configuration.compression().toLowerCase(Locale.ROOT);
            if (!theirCodec.equals(ourCodec)) {
                return "the client's compression " + theirCodec + " is not the daemon's " + ourCodec;
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot read the client's settings: " + e.getMessage();
        }
    }

    /** Stops accepting, removes the socket, lets requests in flight finish (bounded), then closes the archive. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        server.close();
        Files.deleteIfExists(socket);
        pool.shutdown();
        try {
            if (!pool.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
                log.println("walstash daemon: requests still running after " + DRAIN.toSeconds() + " s; stopping anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
        notifier.shutdown();
        wal.close();
    }

    /**
     * A socket file left by a daemon that died is removed; one a daemon still answers on is not.
     * Anything else at the path (a regular file, a directory) is never deleted.
     */
    private static void removeStale(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0170000) != 0140000) {
            throw new IOException(socket + " exists and is not a socket; not replacing it");
        }
        boolean answers;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            answers = true;
        } catch (IOException e) {
            answers = false;
        }
        if (answers) {
            throw new IOException("a walstash daemon already answers on " + socket + "; not starting a second one");
        }
        Files.delete(socket);
    }

    /**
     * Binds inside a fresh 0700 directory, restricts the socket to 0600, then renames it into place:
     * the socket is never reachable at {@code socket} with looser permissions (the JDK cannot set a
     * umask, and bind creates the file with the process's).
     */
    private static ServerSocketChannel bindPrivately(Path socket) throws IOException {
        Path parent = socket.getParent();
        Path privateDirectory = Files.createTempDirectory(parent, ".wsd");
        Path temporary = privateDirectory.resolve("s");
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(temporary), 64);
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            Files.move(temporary, socket, StandardCopyOption.ATOMIC_MOVE);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        } finally {
            Files.deleteIfExists(temporary);
            Files.deleteIfExists(privateDirectory);
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // the client sees the connection end either way
        }
    }
}
