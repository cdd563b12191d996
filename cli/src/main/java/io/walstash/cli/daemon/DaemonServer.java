package io.walstash.cli.daemon;

import io.walstash.cli.CommandOutcome;
import io.walstash.cli.ExitCode;
import io.walstash.cli.Notifications;
import io.walstash.cli.OperationLog;
import io.walstash.cli.WalOutcome;
import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.archive.WalRequests;
import io.walstash.core.config.ConfigFile;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingCatalogue;
import io.walstash.core.config.Settings;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
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
    /** Owns the request, timeout and notification threads; closed last in {@link #close()}. */
    private final ThreadPools threadPools = new ThreadPools();
    private final ExecutorService pool;
    private final Semaphore slots;
    private final ScheduledExecutorService timer;
    /** Sends webhook notifications of failed pushes, one at a time, off the request threads. */
    private final ExecutorService notifier;
    private final Duration requestTimeout;
    private final PrintStream log;
    /** The operation log (WALSTASH_LOG_FILE) of the requests served; warns once in this daemon's life. */
    private final OperationLog operations = new OperationLog();
    /** An auto daemon's own settings, which a client's must equal exactly; null for a daemon started by hand. */
    private final SortedMap<String, String> exactSettings;
    /** Requests being served and when the last one ended: an auto daemon exits after an idle time. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile long lastActivity = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    private boolean closed;

    /**
     * How a daemon serves.
     *
     * @param exactSettings an auto daemon's own settings ({@link AutoDaemon#settings}): it serves only
     *                      clients with exactly these; empty for a daemon started by hand, which serves
     *                      every client whose settings agree with its own where they give one
     * @param idle          an auto daemon stops after this long without a request; empty: never
     */
    record Policy(Optional<SortedMap<String, String>> exactSettings, Optional<Duration> idle) {
        static final Policy BY_HAND = new Policy(Optional.empty(), Optional.empty());
    }

    private DaemonServer(Path socket, ServerSocketChannel server, WalRequests wal, Configuration configuration,
                         int threads, Duration requestTimeout, PrintStream log, Policy policy) {
        this.socket = socket;
        this.exactSettings = policy.exactSettings().orElse(null);
        this.requestTimeout = requestTimeout;
        this.server = server;
        this.wal = wal;
        this.configuration = configuration;
        this.slots = new Semaphore(threads);
        this.log = log;
        // request threads are not daemon threads: a push PostgreSQL waits for is finished, not dropped
        this.pool = threadPools.ownedFixed(threads, ThreadPools.numbered("walstash-daemon-", ThreadPools.Kind.NON_DAEMON));
        this.notifier = threadPools.ownedSingle("walstash-daemon-notify");
        this.timer = threadPools.ownedScheduled("walstash-daemon-timeouts");
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
        return start(socket, wal, configuration, threads, requestTimeout, log, Policy.BY_HAND);
    }

    static DaemonServer start(Path socket, WalRequests wal, Configuration configuration, int threads,
                              Duration requestTimeout, PrintStream log, Policy policy) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        Path absolute = socket.toAbsolutePath();
        removeStale(absolute);
        DaemonServer server = new DaemonServer(absolute, bindPrivately(absolute), wal, configuration, threads,
                requestTimeout, log, policy);
        policy.idle().ifPresent(server::stopWhenIdle);
        return server;
    }

    /**
     * Closes the server once no request came for {@code idle}, or as soon as its socket file is gone
     * or replaced (nobody can reach it any more). Checked on the timer thread, a few times per idle time.
     */
    private void stopWhenIdle(Duration idle) {
        Object ours = fileKey(socket);
        long period = Math.max(50, Math.min(1000, idle.toMillis() / 4));
        timer.scheduleWithFixedDelay(() -> {
            boolean idleLongEnough = inFlight.get() == 0 && System.nanoTime() - lastActivity >= idle.toNanos();
            boolean unreachable = ours == null || !ours.equals(fileKey(socket));
            if ((idleLongEnough || unreachable) && stopping.compareAndSet(false, true)) {
                log.println("walstash daemon: " + (unreachable ? "socket " + socket + " is gone; stopping"
                        : "no request for " + idle.toMillis() + " ms; stopping"));
                // close() waits for the timer's own executor: run it elsewhere
                Thread stopper = ThreadPools.thread("walstash-daemon-idle-stop", () -> {
                    try {
                        close();
                    } catch (IOException e) {
                        log.println("walstash daemon: " + WalOutcome.failure(e).message());
                    }
                }, ThreadPools.Kind.NON_DAEMON);
                stopper.start();
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
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
        inFlight.incrementAndGet();
        lastActivity = started;
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
        } finally {
            lastActivity = System.nanoTime();
            inFlight.decrementAndGet();
        }
    }

    DaemonProtocol.Response answer(DaemonProtocol.Request request, long startedNanos) {
        String mismatch = mismatch(request.settings());
        if (mismatch != null) {
            return DaemonProtocol.Response.declined(mismatch);
        }
        WalOutcome outcome;
        Path directory = null;
        try {
            directory = Path.of(request.workingDirectory());
            outcome = switch (request.verb()) {
                case PUSH -> WalOutcome.push(wal, directory.resolve(request.arguments().get(0)), startedNanos);
                case FETCH -> WalOutcome.fetch(wal, request.arguments().get(0), directory.resolve(request.arguments().get(1)));
            };
        } catch (Exception e) {
            outcome = WalOutcome.failure(e);
        }
        String message = outcome.message();
        if (directory != null) {
            // the line the command line would append, into the file of this configuration (which is the client's:
            // the log settings are part of it); a log that cannot be written is said once, to the caller
            Optional<String> warning = operations.append(configuration.settings(), directory,
                    OperationLog.entry(request.verb() == DaemonProtocol.Verb.PUSH, request.arguments().get(0), outcome, startedNanos));
            if (warning.isPresent()) {
                log.println("walstash daemon: " + warning.get());
                message = message.isEmpty() ? warning.get() : message + "\n" + warning.get();
            }
        }
        if (request.verb() == DaemonProtocol.Verb.PUSH && outcome.exitCode() != ExitCode.OK.code()) {
            // as the command line does after a failed wal-push; on its own thread, so that a slow
            // webhook never delays the answer PostgreSQL waits for
            WalOutcome failed = outcome;
            notifier.execute(() -> Notifications.send(configuration, new CommandOutcome("wal-push", failed.exitCode(),
                    failed.problem().map(p -> new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, p)).stream().toList()),
                    log::println));
        }
        return DaemonProtocol.Response.result(outcome.exitCode(), message);
    }

    /**
     * Why this daemon must not serve a client with {@code clientSettings} ({@link AutoDaemon#settings}),
     * or null when it may. An auto daemon serves only its own configuration, exactly. A daemon started
     * by hand serves a client whose settings that change what is written or answered agree with its
     * own wherever the client gives one (environment or config file); settings the client does not
     * give are the daemon's, which is what lets archive_command stay unchanged.
     */
    String mismatch(Map<String, String> clientSettings) {
        if (exactSettings != null) {
            Set<String> differing = new TreeSet<>();
            for (String name : union(exactSettings.keySet(), clientSettings.keySet())) {
                if (!Objects.equals(exactSettings.get(name), clientSettings.get(name))) {
                    differing.add(name);
                }
            }
            return differing.isEmpty() ? null : "the client's configuration is not this daemon's (differing: "
                    + String.join(", ", differing) + ")";
        }
        if (clientSettings.isEmpty()) {
            return null;
        }
        try {
            Configuration client = Configuration.load(Map.of(), clientSettings);
            if (client.settings().get(CoreSettings.STORAGE.name()).isPresent()) {
                StorageLocation theirs = StorageLocation.configured(client);
                StorageLocation ours = StorageLocation.configured(configuration);
                if (!theirs.equals(ours)) {
                    return "the client's storage " + theirs + " is not the daemon's " + ours;
                }
            }
            String theirCodec = client.compression().toLowerCase(Locale.ROOT);
            String ourCodec = configuration.compression().toLowerCase(Locale.ROOT);
            if (!theirCodec.equals(ourCodec)) {
                return "the client's compression " + theirCodec + " is not the daemon's " + ourCodec;
            }
            Set<String> given = new TreeSet<>(clientSettings.keySet());
            Optional<String> file = client.settings().get(CoreSettings.CONFIG_FILE.name());
            if (file.isPresent()) {
                given.addAll(ConfigFile.read(Path.of(file.get())).keySet());
            }
            for (String name : given) {
                String canonical = canonical(name);
                if (!AutoDaemon.relevant(canonical) || canonical.equals(CoreSettings.STORAGE.name())
                        || canonical.equals(CoreSettings.COMPRESSION.name())) {
                    continue;
                }
                if (!agree(canonical, client.settings(), configuration.settings())) {
                    return "the client's " + canonical + " is not the daemon's";
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot read the client's settings: " + e.getMessage();
        }
    }

    /**
     * Whether the client's and the daemon's {@code name} agree. A declared setting with a default
     * (not a secret, which reaches the daemon only as a digest) is compared by its effective value,
     * so that a client that spells out the default (WALSTASH_DOWNLOAD_CONCURRENCY=4) agrees with a
     * daemon that leaves it unset; any other is compared as the client sent it.
     */
    private static boolean agree(String name, Settings theirs, Settings ours) {
        Optional<String> theirValue = theirs.get(name).map(v -> AutoDaemon.wire(name, v));
        Optional<String> ourValue = ours.get(name).map(v -> AutoDaemon.wire(name, v));
        Optional<Setting<?>> declared = SettingCatalogue.current().named(name);
        boolean sentAsIs = theirValue.map(v -> v.equals(theirs.get(name).orElseThrow())).orElse(true);
        if (declared.isPresent() && declared.get().defaultValue() != null && !declared.get().secret() && sentAsIs) {
            return Objects.equals(declared.get().get(theirs), declared.get().get(ours));
        }
        return theirValue.equals(ourValue);
    }

    /** walstash's name for {@code name}, which may be one of WAL-G's aliases. */
    private static String canonical(String name) {
        return SettingCatalogue.current().named(name).map(Setting::name).orElse(name);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> union = new TreeSet<>(a);
        union.addAll(b);
        return union;
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
        threadPools.close();
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
