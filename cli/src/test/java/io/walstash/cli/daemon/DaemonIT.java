package io.walstash.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.cli.ExitCode;
import io.walstash.cli.Launcher;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon and the launcher's fast client as PostgreSQL would run them: separate processes. */
class DaemonIT {
    private static final long SYSTEM_ID = 99;
    private static final OsUser SELF = new OsUser(Optional.empty());
    private static final List<String> SEGMENTS = List.of(
            "000000010000000000000002", "000000010000000000000003", "000000010000000000000004");

    @TempDir
    Path dir;

    private final List<Process> daemons = new ArrayList<>();

    @AfterEach
    void stopDaemons() throws Exception {
        for (Process daemon : daemons) {
            daemon.destroyForcibly();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
        // a one-shot wal-fetch leaves its prefetch worker writing under dir for a few seconds
        Launcher.stopProcessesWorkingUnder(dir);
    }

    private record Daemon(Process process, Path socket, Path log) {
        String output() throws IOException {
            return Files.readString(log);
        }
    }

    /** Starts {@code walstash daemon} from the launcher and waits until its socket is in place. */
    private Daemon startDaemon(Map<String, String> environment) throws Exception {
        Path socket = dir.resolve("d.sock");
        Path log = dir.resolve("daemon-" + daemons.size() + ".log");
        ProcessBuilder builder = new ProcessBuilder(Launcher.path().toString(), "daemon", "--socket", socket.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(Launcher.withCache(environment));
        Process process = builder.start();
        daemons.add(process);
        waitFor(() -> Files.exists(socket) || !process.isAlive(), "the daemon's socket");
        assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
        return new Daemon(process, socket, log);
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private List<Path> segments(String folder) throws IOException {
        Path pgWal = Files.createDirectories(dir.resolve(folder));
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < SEGMENTS.size(); i++) {
            files.add(WalSegmentFiles.segment(pgWal, SEGMENTS.get(i), SYSTEM_ID, i));
        }
        return files;
    }

    private static Map<String, String> storage(Path repository, String... more) {
        Map<String, String> environment = new HashMap<>();
        environment.put("WALSTASH_STORAGE", repository.toUri().toString());
        for (int i = 0; i < more.length; i += 2) {
            environment.put(more[i], more[i + 1]);
        }
        return environment;
    }

    /** Every stored file by relative path, the marker without its creation time. */
    static Map<String, String> contents(Path repository) throws IOException {
        Map<String, String> contents = new TreeMap<>();
        try (Stream<Path> files = Files.walk(repository)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(file);
                String key = repository.relativize(file).toString();
                contents.put(key, key.endsWith(".properties")
                        ? new String(bytes).replaceAll("created_at=.*", "")
                        : java.util.HexFormat.of().formatHex(bytes));
            }
        }
        return contents;
    }

    @Test
    void daemonAndCommandLineStoreTheSameAndFetchTheSame() throws Exception {
        Path alone = dir.resolve("alone");
        Path viaDaemon = dir.resolve("via-daemon");
        for (Path segment : segments("pg_wal-alone")) {
            Processes.Outcome push = Launcher.run(SELF, storage(alone), "wal-push", segment.toString());
            assertThat(push.exitCode()).as(push.output()).isZero();
        }
        Daemon daemon = startDaemon(storage(viaDaemon));
        Map<String, String> client = storage(viaDaemon, "WALSTASH_DAEMON_SOCKET", daemon.socket().toString());
        List<Path> segments = segments("pg_wal-daemon");
        for (Path segment : segments) {
            Processes.Outcome push = Launcher.run(SELF, client, "wal-push", segment.toString());
            assertThat(push.exitCode()).as(push.output()).isZero();
            assertThat(push.output()).startsWith("walstash: archived wal/" + segment.getFileName() + ".zst");
        }
        assertThat(daemon.output().lines().filter(l -> l.contains(": PUSH ") && l.contains(" exit 0 "))).hasSize(3);
        assertThat(contents(viaDaemon)).isEqualTo(contents(alone)).hasSize(4);

        Processes.Outcome again = Launcher.run(SELF, client, "wal-push", segments.get(0).toString());
        assertThat(again.exitCode()).isZero();
        assertThat(again.output()).contains("already archived with identical content");
        for (Path segment : segments) {
            Path destination = dir.resolve("RECOVERYXLOG-" + segment.getFileName());
            Processes.Outcome fetch = Launcher.run(SELF, client, "wal-fetch", segment.getFileName().toString(),
                    destination.toString());
            assertThat(fetch.exitCode()).as(fetch.output()).isZero();
            assertThat(destination).hasSameBinaryContentAs(segment);
        }
        Processes.Outcome missing = Launcher.run(SELF, client, "wal-fetch", "000000010000000000000009",
                dir.resolve("absent").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(dir.resolve("absent")).doesNotExist();
        assertThat(daemon.output().lines().filter(l -> l.contains(": FETCH "))).hasSize(4);
    }

    @Test
    void theClientLoadsAlmostNothing() throws Exception {
        Path repository = dir.resolve("repo");
        Daemon daemon = startDaemon(storage(repository));
        Path segment = segments("pg_wal").get(0);
        Path config = Files.writeString(dir.resolve("walstash.env"), "WALSTASH_DAEMON_SOCKET=" + daemon.socket() + "\n");
        // the launcher's JVM client (socket in the environment), and Main's (socket only in the config file)
        Map<String, Map<String, String>> routes = Map.of(
                "jvm-client", Map.of("WALSTASH_DAEMON_SOCKET", daemon.socket().toString(), "WALSTASH_NATIVE_CLIENT", "off"),
                "main", Map.of("WALSTASH_CONFIG", config.toString()));
        for (Map.Entry<String, Map<String, String>> route : routes.entrySet()) {
            Path classes = dir.resolve("classes-" + route.getKey() + ".log");
            Map<String, String> environment = new HashMap<>(route.getValue());
            environment.put("WALSTASH_JAVA_OPTS", "-Xlog:class+load:file=" + classes);
            Processes.Outcome push = Launcher.run(SELF, environment, "wal-push", segment.toString());
            assertThat(push.exitCode()).as(push.output()).isZero();
            List<String> loaded = Files.readAllLines(classes);
            assertThat(loaded).as(route.getKey()).anyMatch(l -> l.contains(" io.walstash.cli.daemon.DaemonClient "));
            assertThat(loaded).as(route.getKey())
                    .noneMatch(l -> l.matches(".*\\] (picocli|com\\.fasterxml\\.jackson|software\\.amazon|org\\.slf4j"
                            + "|com\\.google|com\\.azure|io\\.walstash\\.core\\.archive|io\\.walstash\\.core\\.storage)\\..*"));
            System.out.printf("daemon client via %s: %d classes loaded (%d from the CDS archives)%n", route.getKey(),
                    loaded.size(), loaded.stream().filter(l -> l.contains("shared objects file")).count());
        }
        assertThat(daemon.output().lines().filter(l -> l.contains(": PUSH ") && l.contains(" exit 0 "))).hasSize(2);

        if (Files.isExecutable(nativeClient())) {
            // the C client starts no JVM at all
            Path classes = dir.resolve("classes-native.log");
            Processes.Outcome push = Launcher.run(SELF, Map.of("WALSTASH_DAEMON_SOCKET", daemon.socket().toString(),
                    "WALSTASH_JAVA_OPTS", "-Xlog:class+load:file=" + classes), "wal-push", segment.toString());
            assertThat(push.exitCode()).as(push.output()).isZero();
            assertThat(push.output()).contains("already archived with identical content");
            assertThat(classes).doesNotExist();
            assertThat(daemon.output().lines().filter(l -> l.contains(": PUSH ") && l.contains(" exit 0 "))).hasSize(3);
        }
    }

    private static Path nativeClient() throws IOException {
        return Launcher.path().resolveSibling("walstash-client");
    }

    /** One request as a fake daemon received it, with what the launcher then printed and returned. */
    private record Exchange(DaemonProtocol.Request request, int exitCode, String output) {
    }

    private Exchange throughFakeDaemon(Map<String, String> environment, String... args) throws Exception {
        Path socket = dir.resolve("fake.sock");
        Files.deleteIfExists(socket);
        try (ServerSocketChannel fake = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            fake.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<DaemonProtocol.Request> received = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel client = fake.accept()) {
                    DaemonProtocol.Request request = DaemonProtocol.readRequest(Channels.newInputStream(client));
                    DaemonProtocol.writeResponse(Channels.newOutputStream(client),
                            DaemonProtocol.Response.result(ExitCode.CONFLICT.code(), "walstash: the fake's answer, ünïcode"));
                    return request;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Map<String, String> withSocket = new HashMap<>(environment);
            withSocket.put("WALSTASH_DAEMON_SOCKET", socket.toString());
            Processes.Outcome outcome = Launcher.run(SELF, withSocket, args);
            return new Exchange(received.get(1, TimeUnit.MINUTES), outcome.exitCode(), outcome.output());
        }
    }

    /**
     * The launcher finds its folder without a process when called by its absolute path (as
     * PostgreSQL calls it), and as before through a symbolic link (the image's /usr/local/bin) or a
     * relative path: each way hands wal-push to the daemon and archives.
     */
    @Test
    void theLauncherByItsPathALinkOrARelativePathHandsItsCallsToTheDaemon() throws Exception {
        Path repository = dir.resolve("repository");
        Daemon daemon = startDaemon(storage(repository));
        List<Path> segments = segments("pg_wal");
        Path launcher = Launcher.path();
        Path home = launcher.getParent().getParent();
        Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("links")).resolve("walstash"), launcher);
        List<String> ways = List.of(launcher.toString(), link.toString(), home.relativize(launcher).toString());
        // once: the repository's URI gains a trailing slash once it exists, another setting than the daemon's
        Map<String, String> client = Launcher.withCache(storage(repository, "WALSTASH_DAEMON_SOCKET", daemon.socket().toString()));
        for (int i = 0; i < ways.size(); i++) {
            ProcessBuilder builder = new ProcessBuilder(ways.get(i), "wal-push", segments.get(i).toString())
                    .directory(i == 2 ? home.toFile() : dir.toFile()).redirectErrorStream(true);
            builder.environment().putAll(client);
            Process push = builder.start();
            String output = new String(push.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(push.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(push.exitValue()).as(ways.get(i) + ": " + output).isZero();
            assertThat(output).as(ways.get(i)).startsWith("walstash: archived wal/" + segments.get(i).getFileName());
        }
        assertThat(daemon.output().lines().filter(l -> l.contains(": PUSH ") && l.contains(" exit 0 "))).hasSize(3);
    }

    @Test
    void theCClientAndTheJvmClientSendAndReportTheSame() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(nativeClient()), "no C compiler built bin/walstash-client");
        Path config = Files.writeString(dir.resolve("walstash.env"), "# nothing\n");
        Path cwd = Path.of(System.getProperty("user.dir"));
        List<Map<String, String>> environments = List.of(
                Map.of(),
                Map.of("WALG_FILE_PREFIX", " /srv/wal ", "WALG_COMPRESSION_METHOD", "lz4", "AWS_SECRET_ACCESS_KEY", "never sent"),
                Map.of("WALSTASH_STORAGE", "s3://bucket/prefix", "WALSTASH_COMPRESSION", "zstd",
                        "WALSTASH_CONFIG", config.toString()));
        List<String[]> commandLines = List.of(
                new String[] {"wal-push", "pg_wal/000000010000000000000002"},
                new String[] {"wal-fetch", "000000010000000000000002", "pg_wal/RECOVERYXLOG", "--config",
                        cwd.relativize(config).toString()},
                new String[] {"wal-fetch", "--config=" + config, "00000002.history", "/tmp/x y/RECOVERYHISTORY"});
        for (Map<String, String> environment : environments) {
            for (String[] args : commandLines) {
                Exchange c = throughFakeDaemon(environment, args);
                Map<String, String> jvm = new HashMap<>(environment);
                jvm.put("WALSTASH_NATIVE_CLIENT", "off");
                Exchange java = throughFakeDaemon(jvm, args);
                String what = environment + " " + String.join(" ", args);
                assertThat(c).as(what).isEqualTo(java);
                assertThat(c.exitCode()).isEqualTo(ExitCode.CONFLICT.code());
                assertThat(c.output()).isEqualTo("walstash: the fake's answer, ünïcode\n");
                assertThat(c.request().workingDirectory()).isEqualTo(cwd.toString());
                // a secret travels only as its digest (the daemon compares digests)
                assertThat(c.request().settings().values()).noneMatch(v -> v.contains("never sent"));
                if (environment.containsKey("AWS_SECRET_ACCESS_KEY")) {
                    assertThat(c.request().settings().get("AWS_SECRET_ACCESS_KEY")).isEqualTo(
                            "sha256:" + AutoDaemon.sha256("never sent".getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
    }

    @Test
    void killingTheDaemonMidUploadLosesNothing() throws Exception {
        Path repository = dir.resolve("repo");
        // xz makes the upload slow enough to catch it in flight
        Map<String, String> settings = storage(repository, "WALSTASH_COMPRESSION", "xz");
        Daemon daemon = startDaemon(settings);
        Path segment = segments("pg_wal").get(0);
        Map<String, String> client = new HashMap<>(settings);
        client.put("WALSTASH_DAEMON_SOCKET", daemon.socket().toString());
        CompletableFuture<Processes.Outcome> push = CompletableFuture.supplyAsync(() -> {
            try {
                return Launcher.run(SELF, client, "wal-push", segment.toString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Path wal = repository.resolve("wal");
        waitFor(() -> {
            try (Stream<Path> files = Files.list(wal)) {
                return files.anyMatch(f -> f.getFileName().toString().endsWith(".walstash-tmp"));
            } catch (IOException e) {
                return false; // not created yet
            }
        }, "the daemon's upload to start");
        daemon.process().destroyForcibly();
        assertThat(daemon.process().waitFor(30, TimeUnit.SECONDS)).isTrue();

        Processes.Outcome interrupted = push.get(10, TimeUnit.MINUTES);
        System.out.printf("client whose daemon was killed mid-upload: exit %d: %s%n", interrupted.exitCode(),
                interrupted.output().strip());
        Path stored = wal.resolve(segment.getFileName() + ".xz");
        if (interrupted.exitCode() == 0) {
            // the client served the push itself; success means it is stored
            assertThat(stored).as(interrupted.output()).exists();
        }
        Processes.Outcome again = Launcher.run(SELF, client, "wal-push", segment.toString());
        assertThat(again.exitCode()).as(again.output()).isZero();
        assertThat(again.output()).containsAnyOf("already archived with identical content", "walstash: archived");
        Processes.Outcome fetch = Launcher.run(SELF, settings, "wal-fetch", segment.getFileName().toString(),
                dir.resolve("fetched").toString());
        assertThat(fetch.exitCode()).as(fetch.output()).isZero();
        assertThat(dir.resolve("fetched")).hasSameBinaryContentAs(segment);
    }

    @Test
    void withoutADaemonTheClientWorksAlone() throws Exception {
        Path repository = dir.resolve("repo");
        List<Path> segments = segments("pg_wal");
        Processes.Outcome noFile = Launcher.run(SELF, storage(repository, "WALSTASH_DAEMON_SOCKET",
                dir.resolve("nobody.sock").toString()), "wal-push", segments.get(0).toString());
        assertThat(noFile.exitCode()).as(noFile.output()).isZero();

        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        Processes.Outcome refused = Launcher.run(SELF, storage(repository, "WALSTASH_DAEMON_SOCKET", stale.toString(),
                "WALSTASH_LOG_LEVEL", "debug"), "wal-push", segments.get(1).toString());
        assertThat(refused.exitCode()).as(refused.output()).isZero();
        assertThat(refused.output()).contains("walstash: debug: daemon not used: " + stale + ": Connection refused");

        // --storage on the command line: the daemon is not asked even where one is configured
        Processes.Outcome explicit = Launcher.run(SELF, Map.of("WALSTASH_DAEMON_SOCKET", stale.toString()),
                "wal-push", "--storage", repository.toUri().toString(), segments.get(2).toString());
        assertThat(explicit.exitCode()).as(explicit.output()).isZero();
        assertThat(repository.resolve("wal")).isDirectoryContaining(p -> p.getFileName().toString().startsWith(SEGMENTS.get(2)));
    }

    @Test
    void aDaemonOfAnotherProtocolVersionIsNotUsed() throws Exception {
        Path repository = dir.resolve("repo");
        Path segment = segments("pg_wal").get(0);
        Path socket = dir.resolve("newer.sock");
        try (ServerSocketChannel newer = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            newer.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Void> answers = CompletableFuture.runAsync(() -> {
                try (SocketChannel client = newer.accept()) {
                    DaemonProtocol.writeResponse(Channels.newOutputStream(client), DaemonProtocol.VERSION + 1,
                            DaemonProtocol.Response.result(0, "archived, says a newer daemon"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Processes.Outcome push = Launcher.run(SELF, storage(repository, "WALSTASH_DAEMON_SOCKET", socket.toString()),
                    "wal-push", segment.toString());
            answers.get(1, TimeUnit.MINUTES);
            assertThat(push.exitCode()).as(push.output()).isZero();
            assertThat(push.output()).doesNotContain("newer daemon").startsWith("walstash: archived");
            assertThat(repository.resolve("wal/" + segment.getFileName() + ".zst")).exists();
        }
    }

    @Test
    void theDaemonOpensStorageAsItStartsBeforeAnyRequest() throws Exception {
        Path repository = dir.resolve("repo");
        Processes.Outcome push = Launcher.run(SELF, storage(repository, "WALSTASH_DAEMON", "off"), "wal-push",
                segments("pg_wal").get(0).toString());
        assertThat(push.exitCode()).as(push.output()).isZero();
        Daemon daemon = startDaemon(storage(repository));
        // no request is sent: the storage client's start must not wait for the first one
        waitFor(() -> {
            try {
                return daemon.output().contains("answered in");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "the daemon's warm-up line");
        assertThat(daemon.output()).containsPattern("walstash daemon: storage file:\\S+/repo/? answered in \\d+ ms");
    }

    @Test
    void socketIsPrivateAndSigtermRemovesIt() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Daemon daemon = startDaemon(storage(dir.resolve("repo")));
        assertThat(Files.getPosixFilePermissions(daemon.socket())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        OsUser other = OsUser.current();
        if (other.runAs().isPresent()) {
            // root passes any permission check; another user must be refused by the socket's mode alone
            Processes.Outcome stranger = Processes.runAllowingFailure(other.wrap(List.of("python3", "-c",
                    "import socket; s = socket.socket(socket.AF_UNIX); s.connect('" + daemon.socket() + "')")),
                    Map.of(), Duration.ofMinutes(1));
            assertThat(stranger.exitCode()).isNotZero();
            assertThat(stranger.output()).contains("PermissionError");
        }
        daemon.process().destroy(); // SIGTERM, as systemctl stop sends
        assertThat(daemon.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(daemon.socket()).doesNotExist();
        assertThat(daemon.output()).doesNotContain("error");
    }

    @Test
    void theDaemonDumpsItsClassDataArchiveAtExitAndTheNextStartPublishesAndMapsIt() throws Exception {
        Path repository = dir.resolve("repo");
        Path cache = dir.resolve("daemon-cache");
        Path segment = segments("pg_wal").get(0);
        Map<String, String> settings = storage(repository, "XDG_CACHE_HOME", cache.toString());
        Daemon first = startDaemon(settings);
        Map<String, String> client = new HashMap<>(settings);
        client.put("WALSTASH_DAEMON_SOCKET", first.socket().toString());
        Processes.Outcome push = Launcher.run(SELF, client, "wal-push", segment.toString());
        assertThat(push.exitCode()).as(push.output()).isZero();
        first.process().destroy(); // SIGTERM: a normal exit, during which the JVM writes the archive
        assertThat(first.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<Path> dumps;
        try (Stream<Path> files = Files.walk(cache)) {
            dumps = files.filter(f -> f.getFileName().toString().startsWith("daemon-file.jsa")).toList();
        }
        assertThat(dumps).as("the exited daemon's dump").singleElement();
        Path dump = dumps.get(0);
        assertThat(dump.getFileName().toString()).isEqualTo("daemon-file.jsa." + first.process().pid() + ".tmp");
        // a dump its writer never finished (killed while writing: no header yet) beside it
        Path torn = Files.write(dump.resolveSibling("daemon-file.jsa.999999999.tmp"), new byte[8192]);

        Path classes = dir.resolve("daemon-classes.log");
        Map<String, String> mapping = new HashMap<>(settings);
        mapping.put("WALSTASH_JAVA_OPTS", "-Xlog:class+load:file=" + classes);
        Daemon second = startDaemon(mapping);
        assertThat(dump.resolveSibling("daemon-file.jsa")).as("published").isRegularFile();
        assertThat(dump).doesNotExist();
        assertThat(torn).as("a torn dump is removed, not published").doesNotExist();
        assertThat(Files.readAllLines(classes))
                .anyMatch(l -> l.contains("io.walstash.cli.daemon.DaemonServer source: shared objects file"));
        second.process().destroy();
        assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        try (Stream<Path> files = Files.walk(cache)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("daemon-file.jsa")))
                    .as("a daemon that mapped the archive dumps nothing more").containsExactly("daemon-file.jsa");
        }
    }

    @Test
    void concurrentFirstRunsShareOneIntactClassDataArchive() throws Exception {
        Path repository = dir.resolve("repo");
        Path cache = dir.resolve("cache");
        List<Path> segments = segments("pg_wal");
        List<CompletableFuture<Processes.Outcome>> runs = new ArrayList<>();
        for (Path segment : segments) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return Launcher.run(SELF, storage(repository, "XDG_CACHE_HOME", cache.toString()), "wal-push",
                            segment.toString());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (CompletableFuture<Processes.Outcome> run : runs) {
            Processes.Outcome outcome = run.get(10, TimeUnit.MINUTES);
            assertThat(outcome.exitCode()).as(outcome.output()).isZero();
            assertThat(outcome.output().lines()).as("nothing but walstash's line").singleElement();
        }
        List<Path> archives;
        try (Stream<Path> files = Files.walk(cache)) {
            archives = files.filter(Files::isRegularFile).toList();
        }
        assertThat(archives).singleElement().satisfies(a -> assertThat(a.getFileName()).hasToString("wal-push-file.jsa"));

        Path classes = dir.resolve("classes.log");
        Processes.Outcome mapped = Launcher.run(SELF, storage(repository, "XDG_CACHE_HOME", cache.toString(),
                "WALSTASH_JAVA_OPTS", "-Xlog:class+load:file=" + classes), "wal-push", segments.get(0).toString());
        assertThat(mapped.exitCode()).as(mapped.output()).isZero();
        assertThat(Files.readAllLines(classes)).anyMatch(l -> l.contains("io.walstash.cli.WalPushCommand source: shared objects file"))
                // picocli ships Java 5 class files, which CDS cannot archive: the build upgrades them
                .anyMatch(l -> l.contains("picocli.CommandLine source: shared objects file"))
                .noneMatch(l -> l.contains("source: jar:") || l.contains("picocli-") && l.contains("source: file:"));
    }

    /**
     * `cp new/*.jar lib/` rewrites a jar in place: lib/ itself keeps its time, the JVM silently
     * ignores the archive's classes for the changed jar, so the launcher must notice and dump anew.
     */
    @Test
    void aJarRewrittenInPlaceMakesTheNextRunDumpANewClassDataArchive() throws Exception {
        Path home = dir.resolve("walstash");
        io.walstash.core.io.FileTrees.copy(Launcher.path().getParent().getParent(), home);
        Path launcher = home.resolve("bin/walstash");
        Path cache = dir.resolve("cache");
        Path repository = dir.resolve("repo");
        Path segment = segments("pg_wal").get(0);
        Map<String, String> environment = storage(repository, "XDG_CACHE_HOME", cache.toString(), "WALSTASH_DAEMON", "off");

        assertThat(Processes.runAllowingFailure(List.of(launcher.toString(), "wal-push", segment.toString()), environment,
                Duration.ofMinutes(5)).exitCode()).isZero();
        Path archive;
        try (Stream<Path> files = Files.walk(cache)) {
            archive = files.filter(f -> f.getFileName().toString().equals("wal-push-file.jsa")).findFirst().orElseThrow();
        }
        // the archive and lib/ as they were before an upgrade; then the jar rewritten now
        long before = System.currentTimeMillis() - 20_000;
        Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(before + 10_000));
        Path cli;
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            cli = jars.filter(j -> j.getFileName().toString().startsWith("walstash-cli-")).findFirst().orElseThrow();
        }
        Files.write(cli, Files.readAllBytes(cli)); // in place, as cp over an existing file does
        Files.setLastModifiedTime(home.resolve("lib"), java.nio.file.attribute.FileTime.fromMillis(before));

        // the run after the rewrite dumps a new archive, the one after that maps it
        for (int run = 0; run < 2; run++) {
            Path classes = dir.resolve("classes-" + run + ".log");
            Map<String, String> logged = new HashMap<>(environment);
            logged.put("WALSTASH_JAVA_OPTS", "-Xlog:class+load:file=" + classes);
            Processes.Outcome again = Processes.runAllowingFailure(List.of(launcher.toString(), "wal-push",
                    segment.toString()), logged, Duration.ofMinutes(5));
            assertThat(again.exitCode()).as(again.output()).isZero();
            if (run == 1) {
                assertThat(Files.readAllLines(classes))
                        .anyMatch(l -> l.contains("io.walstash.cli.WalPushCommand source: shared objects file"));
            }
        }
        assertThat(Files.getLastModifiedTime(archive).toMillis()).as("archive replaced").isGreaterThan(before + 10_000);
    }
}
