package io.walstash.storage.azure;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.walstash.core.io.FileTrees;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Azurite's blob service (the Azure Storage emulator, from npm) on 127.0.0.1 and a port it picks
 * itself, in memory, for tests. Use it as a JUnit 5 extension:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final AzuriteServer AZURITE = new AzuriteServer();
 * }</pre>
 *
 * <p>or start and close it yourself (try-with-resources). The server answers for the well-known
 * development account {@link #ACCOUNT} with key {@link #ACCOUNT_KEY}.
 *
 * <p>The {@code azurite-blob} executable is found, in this order, at the path in system property
 * {@code walstash.azurite.blob}, on the {@code PATH}, or in {@link #installDir()}
 * ({@code ~/.cache/walstash/azurite-3.37.0}); when it is nowhere, it is installed there with
 * {@code npm install azurite@3.37.0} (once, under a file lock, bounded by a timeout). CI installs it
 * there beforehand in {@code .ci/run}.
 */
public final class AzuriteServer implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
    public static final String VERSION = "3.37.0";
    /** Azurite's development account. */
    public static final String ACCOUNT = "devstoreaccount1";
    /** The development account's published, well-known key: not a secret. */
    public static final String ACCOUNT_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern LISTENING = Pattern.compile("successfully listens on https?://[^:/\\s]+:(\\d+)");
    private static final int OUTPUT_LINES_KEPT = 50;

    private final int extentMemoryLimitMib;
    private Process process;
    private int port;
    private Path workDir;
    private final List<String> output = new ArrayList<>();
    private Thread shutdownHook;

    /** Starts the server, once; waits until it accepts connections. */
    /** An Azurite that may keep 1 GiB of blob content in memory. */
    public AzuriteServer() {
        this(1024);
    }

    /** An Azurite that may keep {@code extentMemoryLimitMib} of blob content in memory (benchmarks need more). */
    public AzuriteServer(int extentMemoryLimitMib) {
        this.extentMemoryLimitMib = extentMemoryLimitMib;
    }

    public synchronized AzuriteServer start() throws IOException {
        if (process != null) {
            return this;
        }
        Path executable = executable();
        workDir = Files.createTempDirectory("azurite-");
        List<String> command = List.of(executable.toString(),
                "--blobHost", "127.0.0.1",
                "--blobPort", "0",
                "--inMemoryPersistence",
                // Azurite would otherwise allow itself half of the machine's memory.
                "--extentMemoryLimit", Integer.toString(extentMemoryLimitMib),
                "--disableTelemetry");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.redirectInput(ProcessBuilder.Redirect.from(nullFile()));
        process = builder.start();
        Process started = process;
        shutdownHook = new Thread(() -> kill(started), "azurite-killer");
        Runtime.getRuntime().addShutdownHook(shutdownHook);

        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> pump(started, listening), "azurite-output");
        reader.setDaemon(true);
        reader.start();
        try {
            port = listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            awaitPortAnswers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IOException("interrupted while starting Azurite");
        } catch (ExecutionException | TimeoutException | IOException e) {
            String log = outputSoFar();
            close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IOException("Azurite (" + executable + ") did not start within " + START_TIMEOUT + ": " + cause.getMessage()
                    + "; its output:\n" + log, cause);
        }
        return this;
    }

    /** Stops the server (SIGTERM, then SIGKILL after a bounded wait); calling it again does nothing. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        kill(process);
        process = null;
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down, and the hook kills it
            }
            shutdownHook = null;
        }
        deleteTree(workDir);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public synchronized int port() {
        if (process == null) {
            throw new IllegalStateException("Azurite is not started");
        }
        return port;
    }

    /** The blob service endpoint for the development account, {@code http://127.0.0.1:PORT/devstoreaccount1}. */
    public String blobEndpoint() {
        return "http://127.0.0.1:" + port() + "/" + ACCOUNT;
    }

    /** A connection string for the development account on this server. */
    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + ACCOUNT_KEY
                + ";BlobEndpoint=" + blobEndpoint() + ";";
    }

    /** walstash settings that reach this server with the account key. */
    public Map<String, String> settings() {
        return Map.of(
                AzureDeclarations.ENDPOINT.name(), blobEndpoint(),
                AzureDeclarations.ACCOUNT.name(), ACCOUNT,
                AzureDeclarations.ACCESS_KEY.name(), ACCOUNT_KEY);
    }

    @Override
    public String toString() {
        return "AzuriteServer[" + (process == null ? "stopped" : blobEndpoint()) + "]";
    }

    // ---- finding and installing Azurite ----

    /** Where Azurite is installed when it is not on the PATH: {@code ~/.cache/walstash/azurite-VERSION}. */
    public static Path installDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "walstash", "azurite-" + VERSION);
    }

    /** The {@code azurite-blob} executable, installed with npm when it is nowhere to be found. */
    public static synchronized Path executable() throws IOException {
        String configured = System.getProperty("walstash.azurite.blob", "");
        if (!configured.isBlank()) {
            return Path.of(configured);
        }
        Optional<Path> onPath = onPath("azurite-blob");
        if (onPath.isPresent()) {
            return onPath.get();
        }
        Path installed = installedExecutable(installDir());
        if (Files.isExecutable(installed)) {
            return installed;
        }
        install(installDir());
        return installed;
    }

    private static Path installedExecutable(Path dir) {
        return dir.resolve("node_modules").resolve(".bin").resolve("azurite-blob");
    }

    private static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Installs Azurite into {@code dir} with npm: into a temporary sibling first, renamed into place
     * when complete, under a file lock that other test JVMs respect.
     */
    private static void install(Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        Path lockFile = dir.resolveSibling(dir.getFileName() + ".lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = channel.lock()) {
            if (Files.isExecutable(installedExecutable(dir))) {
                return; // another JVM installed it while we waited
            }
            Path npm = onPath("npm").orElseThrow(() -> new IOException("Azurite " + VERSION
                    + " is not installed and npm is not on the PATH: install Node.js and npm, or run: npm install --prefix "
                    + dir + " azurite@" + VERSION));
            Path staging = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".installing-");
            try {
                Path log = staging.resolve("npm-install.log");
                Process npmInstall = new ProcessBuilder(npm.toString(), "install", "--prefix", staging.toString(),
                        "--no-audit", "--no-fund", "--no-save", "--loglevel", "error", "azurite@" + VERSION)
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(nullFile()))
                        .start();
                boolean finished = npmInstall.waitFor(INSTALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (!finished) {
                    kill(npmInstall);
                    throw new IOException("npm install azurite@" + VERSION + " did not finish within " + INSTALL_TIMEOUT);
                }
                if (npmInstall.exitValue() != 0 || !Files.isExecutable(installedExecutable(staging))) {
                    throw new IOException("npm install azurite@" + VERSION + " failed (exit " + npmInstall.exitValue() + "): "
                            + Files.readString(log, UTF_8).strip());
                }
                Files.delete(log);
                deleteTree(dir); // a broken leftover without the executable
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while installing Azurite", e);
            } finally {
                deleteTree(staging);
            }
        }
    }

    // ---- process handling ----

    private void pump(Process started, CompletableFuture<Integer> listening) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(started.getInputStream(), UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                    if (output.size() > OUTPUT_LINES_KEPT) {
                        output.remove(0);
                    }
                }
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    listening.complete(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException e) {
            // the process was killed; what follows reports it
        }
        listening.completeExceptionally(new IOException("Azurite exited (code "
                + (started.isAlive() ? "?" : String.valueOf(exitValue(started))) + ") before it listened"));
    }

    private static int exitValue(Process process) {
        try {
            return process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Azurite prints that it listens once the socket is bound; a connection proves it. Polls, bounded in time. */
    private void awaitPortAnswers() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
            if (attempt > 0) {
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                last = e;
                if (!process.isAlive()) {
                    break;
                }
            }
        }
        throw new IOException("Azurite's port " + port + " does not answer", last);
    }

    private String outputSoFar() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    private static void kill(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private static java.io.File nullFile() {
        return new java.io.File("/dev/null");
    }

    private static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try {
            FileTrees.delete(root);
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing a test over
        }
    }
}
