package io.walstash.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.cli.ArchiveRecoverySteps;
import io.walstash.cli.AutoDaemonRuntime;
import io.walstash.cli.CliSettings;
import io.walstash.cli.ExitCode;
import io.walstash.cli.Launcher;
import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The daemon that starts itself (WALSTASH_DAEMON=auto, the default), as PostgreSQL runs the
 * launcher: started by the first wal-push or wal-fetch, serving the following ones, gone after its
 * idle time, one per configuration, never trusted unless it runs as the caller's user. Every
 * launcher here gets its own runtime directory (XDG_RUNTIME_DIR) so that its daemons are found and
 * stopped afterwards.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class AutoDaemonIT {
    private static final Duration WAIT = Duration.ofMinutes(3);
    /** Short, so that the test sees the daemons exit; long enough that one lives through the archiving on a busy machine. */
    private static final String IDLE = "10s";
    private static final long SYSTEM_ID = 77;
    private static final OsUser SELF = new OsUser(Optional.empty());

    private Path work;
    private OsUser postgres;
    private final List<Path> runtimeDirectories = new ArrayList<>();
    /** The sessions of the PostgreSQL servers started, which no auto daemon may share. */
    private final Set<Long> postgresSessions = ConcurrentHashMap.newKeySet();
    /** The data directories of the clusters started, whose processes the watcher looks at. */
    private final List<Path> clusters = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        postgres = OsUser.current();
        work = Files.createTempDirectory("walstash-auto-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        postgres.own(work);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Path runtime : runtimeDirectories) {
            new AutoDaemonRuntime(runtime).stopDaemons();
        }
        // a call made with the daemon off may have left its detached prefetch worker writing here
        Launcher.stopProcessesWorkingUnder(work);
        FileTrees.delete(work);
    }

    /** A fresh runtime directory for {@code user}'s daemons (XDG_RUNTIME_DIR), its daemons stopped after the test. */
    private Path runtime(String name, OsUser user) throws IOException {
        Path runtime = AutoDaemonRuntime.create(work.resolve(name), user).directory();
        runtimeDirectories.add(runtime);
        return runtime;
    }

    /** The auto daemons started with {@code runtime} as XDG_RUNTIME_DIR (read from /proc, as root may). */
    private static List<ProcessHandle> daemons(Path runtime) {
        return new AutoDaemonRuntime(runtime).daemons();
    }

    private static void waitFor(BooleanSupplier condition, Duration limit, String what) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static List<String> logLines(Path runtime, String containing) throws IOException {
        Path directory = runtime.resolve("walstash");
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path log : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.readAllLines(log).stream().filter(l -> l.contains(containing)).forEach(lines::add);
            }
        }
        return lines;
    }

    private static long sockets(Path runtime) throws IOException {
        try (Stream<Path> files = Files.list(runtime.resolve("walstash"))) {
            return files.filter(f -> f.toString().endsWith(".sock")).count();
        }
    }

    @Test
    void plainReadmeLinesArchiveAndRecoverThroughTheAutoDaemonWhichThenExits() throws Exception {
        Path runtime = runtime("runtime", postgres);
        Set<Long> sessions = ConcurrentHashMap.newKeySet();
        archiveAndRecover(runtime, daemon -> {
            try {
                sessions.add(session(daemon.pid()));
            } catch (IOException e) {
                // exited meanwhile
            }
        });
        assertThat(sessions).as("sessions of the auto daemons").isNotEmpty();
        // the daemon was started in a session of its own, never in PostgreSQL's (whose signals it would get)
        assertThat(sessions).doesNotContainAnyElementsOf(postgresSessions);

        // a call works alone while a daemon starts (WALSTASH_DAEMON_WAIT): not every push is the daemon's
        assertThat(logLines(runtime, ": PUSH ").stream().filter(l -> l.contains(" exit 0 ")).count())
                .as("pushes the auto daemon served").isGreaterThanOrEqualTo(2);
        assertThat(logLines(runtime, ": FETCH ").stream().filter(l -> l.contains(" exit 0 "))).isNotEmpty();
        everyArchivedSegmentHasOneLineInTheSeedsLogsDaemonServedOnesToo(runtime);
        // both clusters are stopped: nothing is left once the idle time has passed
        waitFor(() -> daemons(runtime).isEmpty(), Duration.ofSeconds(60), "the auto daemons to exit");
        assertThat(logLines(runtime, "no request for 10000 ms; stopping")).isNotEmpty();
        assertThat(sockets(runtime)).isZero();
    }

    /**
     * {@code walstash restore}, run as the server's OS user in the server's environment, starts the
     * daemon that the restore_command it writes will ask; the recovery's calls find it up and it
     * serves them: no other daemon starts, and the data equal the source's.
     */
    @Test
    void restoreStartsTheDaemonItsRestoreCommandAsksAndTheRecoveryIsServedByIt() throws Exception {
        Path runtime = runtime("runtime", postgres);
        Path repository = work.resolve("repository");
        String launcher = Launcher.path().toString();
        PostgresBinaries binaries = PostgresBinaries.find(System.getenv());
        Path target = work.resolve("restored");
        DataFingerprint expected;
        try (LocalCluster source = LocalCluster.initdb(binaries, postgres, work.resolve("source"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica", "archive_command",
                    AutoDaemon.MODE + "=off WALSTASH_STORAGE=file://" + repository + " " + launcher + " wal-push %p"));
            clusters.add(source.dataDirectory());
            source.start();
            Processes.Outcome backup = Launcher.run(postgres, Map.of("WALSTASH_STORAGE", "file://" + repository,
                    "PGHOST", "127.0.0.1", "PGPORT", Integer.toString(source.port()), "PGUSER", "postgres",
                    "PGDATABASE", "postgres"), "backup-push", source.dataDirectory().toString());
            assertThat(backup.exitCode()).as(backup.output()).isZero();
            ArchiveRecoverySteps.load(source, 2, 2, 800, 10000);
            expected = ArchiveRecoverySteps.archiveAndStop(source, WAIT, 3);
        }
        // as an operator would: the server's user, the environment the server gets, the daemon's default mode
        Map<String, String> serverEnvironment = Map.of("XDG_RUNTIME_DIR", runtime.toString());
        Map<String, String> restoreEnvironment = new HashMap<>(serverEnvironment);
        restoreEnvironment.put("WALSTASH_STORAGE", "file://" + repository);
        restoreEnvironment.put(AutoDaemon.MODE, "auto");
        Processes.Outcome restore = Launcher.run(postgres, restoreEnvironment, "restore", target.toString());
        assertThat(restore.exitCode()).as(restore.output()).isZero();
        assertThat(restore.output()).contains("started the daemon restore_command will ask");
        waitFor(() -> daemons(runtime).size() == 1, WAIT, "the daemon restore started");
        long ahead = daemons(runtime).get(0).pid();
        waitFor(() -> {
            try {
                return !logLines(runtime, "walstash daemon: serving").isEmpty();
            } catch (IOException e) {
                return false; // its log not there yet
            }
        }, WAIT, "the daemon restore started to listen");
        assertThat(logLines(runtime, ": FETCH ")).as("requests before the server started").isEmpty();

        try (LocalCluster restored = LocalCluster.existing(binaries, postgres, target, work)) {
            clusters.add(target);
            restored.configure(Map.of("archive_mode", "off"));
            restored.start(Map.of(), serverEnvironment);
            restored.waitForRecoveryEnd(WAIT);
            try (java.sql.Connection c = restored.connect()) {
                assertThat(DataFingerprint.of(c)).isEqualTo(expected);
            }
        }
        // the recovery asked the daemon restore started: it served fetches, and no other daemon started
        assertThat(logLines(runtime, ": FETCH ").stream().filter(l -> l.contains(" exit 0 "))).isNotEmpty();
        assertThat(daemons(runtime)).map(ProcessHandle::pid).containsExactly(ahead);
        assertThat(logLines(runtime, "walstash daemon: serving")).hasSize(1);
        assertThat(sockets(runtime)).isEqualTo(1);
    }

    /**
     * WAL_ARCHIVE_LOG has one OK line per WAL file in the repository, each once, including those the
     * auto daemon served (its own log names them); WAL_RESTORE_LOG has the fetches, the daemon's too.
     */
    private void everyArchivedSegmentHasOneLineInTheSeedsLogsDaemonServedOnesToo(Path runtime) throws IOException {
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\S+Z (wal-push|wal-fetch) (\\S+) (OK|NOT_FOUND)"
                + " exit=(0|74) \\d+ms");
        List<String> archived = new ArrayList<>();
        for (String l : Files.readAllLines(work.resolve("wal-archive.log"))) {
            java.util.regex.Matcher m = line.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            assertThat(m.group(1) + " " + m.group(3)).as(l).isEqualTo("wal-push OK");
            archived.add(m.group(2));
        }
        Set<String> inRepository = new java.util.TreeSet<>();
        Path repository = work.resolve("repository");
        try (Stream<Path> files = Files.walk(repository)) {
            files.filter(Files::isRegularFile).map(f -> repository.relativize(f).toString())
                    .flatMap(key -> io.walstash.core.repository.WalKey.parse(key).stream())
                    .forEach(key -> inRepository.add(key.name().fileName()));
        }
        assertThat(archived).as("one line per archived WAL file").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(inRepository);
        assertThat(logLines(runtime, ": PUSH ")).allSatisfy(daemonLine -> {
            String pushed = daemonLine.replaceFirst(".*: PUSH (\\S+) .*", "$1");
            assertThat(archived).as("the daemon's push of " + pushed).contains(Path.of(pushed).getFileName().toString());
        });
        List<String> fetched = new ArrayList<>();
        for (String l : Files.readAllLines(work.resolve("wal-restore.log"))) {
            java.util.regex.Matcher m = line.matcher(l);
            assertThat(m.matches()).as(l).isTrue();
            assertThat(m.group(1)).as(l).isEqualTo("wal-fetch");
            fetched.add(m.group(2));
        }
        assertThat(logLines(runtime, ": FETCH ")).isNotEmpty().allSatisfy(daemonLine ->
                assertThat(fetched).contains(daemonLine.replaceFirst(".*: FETCH (\\S+) .*", "$1")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(work.resolve("wal-archive.log")))).isEqualTo("rw-------");
    }

    @Test
    void killingTheAutoDaemonDuringPushesAndRecoveryLosesNothing() throws Exception {
        Path runtime = runtime("runtime", postgres);
        AtomicInteger killed = new AtomicInteger();
        archiveAndRecover(runtime, daemon -> {
            // SIGKILL, whatever it is doing, once it had a moment to take requests
            if (daemon.info().startInstant().map(t -> t.isBefore(java.time.Instant.now().minusMillis(300))).orElse(true)
                    && daemon.destroyForcibly()) {
                killed.incrementAndGet();
            }
        });
        assertThat(killed.get()).as("daemons killed").isGreaterThanOrEqualTo(2);
    }

    /**
     * A loaded cluster archives through wal-push with its auto daemon in {@code runtime}, then a base backup taken at the
     * start recovers through wal-fetch; the data must be equal. Both clusters run as PostgreSQL's
     * OS user with archive_command and restore_command as the README writes them. Meanwhile every
     * auto daemon alive is handed to {@code watch}, every 50 ms.
     */
    private void archiveAndRecover(Path runtime, java.util.function.Consumer<ProcessHandle> watch) throws Exception {
        // the README's lines; only where the daemon keeps its socket and a short idle time are added
        String environment = "WALSTASH_STORAGE=file://" + work.resolve("repository") + " XDG_RUNTIME_DIR=" + runtime
                + " WALSTASH_DAEMON_IDLE=" + IDLE
                // the seed's operation logs, as its .env names them
                + " WAL_ARCHIVE_LOG=" + work.resolve("wal-archive.log") + " WAL_RESTORE_LOG=" + work.resolve("wal-restore.log");
        PostgresBinaries binaries = PostgresBinaries.find(System.getenv());
        String launcher = Launcher.path().toString();
        AtomicBoolean running = new AtomicBoolean(true);
        CompletableFuture<Void> watcher = CompletableFuture.runAsync(() -> {
            while (running.get()) {
                daemons(runtime).forEach(watch);
                // every session of PostgreSQL's own processes (each child of the postmaster starts its
                // own; archive_command runs in the archiver's): the server binary, forked, never exec'd
                for (Path cluster : clusters) {
                    postmaster(cluster).stream().flatMap(p -> Stream.concat(Stream.of(p), p.descendants()))
                            .filter(p -> p.info().command().orElse("").endsWith("/postgres")).forEach(p -> {
                                try {
                                    postgresSessions.add(session(p.pid()));
                                } catch (IOException | RuntimeException e) {
                                    // exited meanwhile
                                }
                            });
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try (LocalCluster source = LocalCluster.initdb(binaries, postgres, work.resolve("source"), work);
             LocalCluster restored = LocalCluster.existing(binaries, postgres, work.resolve("restored"), work)) {
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica",
                    "archive_command", environment + " " + launcher + " wal-push %p"));
            clusters.add(source.dataDirectory());
            source.start();
            source.runTool("pg_basebackup", "-D", restored.dataDirectory().toString(), "-X", "none", "-c", "fast");
            ArchiveRecoverySteps.load(source, 2, 2, 800, 10000);
            DataFingerprint expected = ArchiveRecoverySteps.archiveAndStop(source, WAIT, 3);
            clusters.add(restored.dataDirectory());
            String log = ArchiveRecoverySteps.recoverAndCompare(restored, postgres,
                    environment + " " + launcher + " wal-fetch %f %p", WAIT, expected);
            assertThat(log).contains("restored log file").doesNotContain("wal-fetch: error");
        } finally {
            running.set(false);
            watcher.get(1, TimeUnit.MINUTES);
        }
    }

    /** The cluster's postmaster while it runs. */
    private static Optional<ProcessHandle> postmaster(Path dataDirectory) {
        try {
            return ProcessHandle.of(Long.parseLong(Files.readAllLines(dataDirectory.resolve("postmaster.pid")).get(0).strip()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // not running (yet, or any more)
        }
    }

    /** The session id of a process (the sixth field of /proc/PID/stat). */
    private static long session(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[3]);
    }

    private Path segment(String folder, String name, long seed) throws IOException {
        Path directory = Files.createDirectories(work.resolve(folder));
        postgres.own(directory);
        Path segment = WalSegmentFiles.segment(directory, name, SYSTEM_ID, seed);
        postgres.own(segment);
        return segment;
    }

    private static Map<String, String> environment(Path repository, Path runtime, String... more) {
        Map<String, String> environment = new HashMap<>();
        // not toUri(): its trailing slash appears once the directory exists, another configuration
        environment.put("WALSTASH_STORAGE", "file://" + repository);
        environment.put("XDG_RUNTIME_DIR", runtime.toString());
        environment.put(AutoDaemon.MODE, "auto");
        environment.put(CliSettings.DAEMON_IDLE.name(), "2m");
        // counting the requests a daemon served needs the first call to wait for it, however busy the machine
        environment.put(CliSettings.DAEMON_WAIT.name(), "2m");
        for (int i = 0; i < more.length; i += 2) {
            environment.put(more[i], more[i + 1]);
        }
        return environment;
    }

    @Test
    void twoRepositoriesGetTwoDaemonsAndAChangedSettingANewOneWhateverTheClient() throws Exception {
        Path runtime = runtime("runtime", SELF);
        Path first = work.resolve("first");
        Path second = work.resolve("second");
        Path segment = segment("pg_wal", "000000010000000000000002", 1);

        assertThat(Launcher.run(SELF, environment(first, runtime), "wal-push", segment.toString()).exitCode()).isZero();
        assertThat(daemons(runtime)).hasSize(1);
        // the JVM client names the same socket as the C client: it reaches that daemon, starts none
        Map<String, String> jvm = environment(first, runtime, "WALSTASH_NATIVE_CLIENT", "off");
        assertThat(Launcher.run(SELF, jvm, "wal-push", segment.toString()).exitCode()).isZero();
        assertThat(daemons(runtime)).hasSize(1);
        assertThat(sockets(runtime)).isOne();
        assertThat(logLines(runtime, ": PUSH ")).hasSize(2);

        assertThat(Launcher.run(SELF, environment(second, runtime), "wal-push", segment.toString()).exitCode()).isZero();
        assertThat(daemons(runtime)).hasSize(2);
        // a setting that changes what is written: another daemon, the object written as the setting says
        Path third = work.resolve("third");
        Map<String, String> lz4 = environment(third, runtime, "WALSTASH_COMPRESSION", "lz4", "WALSTASH_NATIVE_CLIENT", "off");
        assertThat(Launcher.run(SELF, lz4, "wal-push", segment.toString()).exitCode()).isZero();
        assertThat(third.resolve("wal/000000010000000000000002.lz4")).exists();
        assertThat(daemons(runtime)).hasSize(3);
        Map<String, String> lookAhead = environment(third, runtime, "WALSTASH_COMPRESSION", "lz4", "WALSTASH_LOOKAHEAD", "0");
        assertThat(Launcher.run(SELF, lookAhead, "wal-push", segment.toString()).exitCode()).isZero();
        assertThat(daemons(runtime)).hasSize(4);
        assertThat(sockets(runtime)).isEqualTo(4);
        assertThat(logLines(runtime, ": PUSH ")).hasSize(5).allMatch(l -> l.contains(" exit 0 "));

        // several first calls at once start one daemon between them
        Path fourth = work.resolve("fourth");
        List<CompletableFuture<Processes.Outcome>> racing = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Map<String, String> racer = environment(fourth, runtime, "WALSTASH_NATIVE_CLIENT", i % 2 == 0 ? "on" : "off");
            racing.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return Launcher.run(SELF, racer, "wal-push", segment.toString());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (CompletableFuture<Processes.Outcome> call : racing) {
            Processes.Outcome outcome = call.get(5, TimeUnit.MINUTES);
            assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        }
        assertThat(daemons(runtime)).hasSize(5);
        assertThat(sockets(runtime)).isEqualTo(5);

        // --storage and --compression (restore's restore_command has --storage) are part of the
        // configuration: another daemon, started with them, and both clients find it
        Path fifth = work.resolve("fifth");
        for (String client : List.of("on", "off")) {
            Processes.Outcome outcome = Launcher.run(SELF, environment(first, runtime, "WALSTASH_NATIVE_CLIENT", client),
                    "wal-push", "--storage", "file://" + fifth, "--compression=lz4", segment.toString());
            assertThat(outcome.exitCode()).as(outcome.output()).isZero();
        }
        assertThat(fifth.resolve("wal/000000010000000000000002.lz4")).exists();
        assertThat(daemons(runtime)).hasSize(6);
        assertThat(logLines(runtime, "file://" + fifth)).isNotEmpty();
        assertThat(logLines(runtime, ": PUSH ")).hasSize(5 + 4 + 2);
    }

    @Test
    void aRuntimeDirectoryOthersCouldUseIsRefusedAndTheCallWorksAloneWithTheSameResult() throws Exception {
        Path segment = segment("pg_wal", "000000010000000000000002", 2);
        Path alone = work.resolve("alone");
        Map<String, String> off = environment(alone, work, AutoDaemon.MODE, "off");
        assertThat(Launcher.run(SELF, off, "wal-push", segment.toString()).exitCode()).isZero();

        Path loose = runtime("loose", SELF);
        Files.createDirectory(loose.resolve("walstash"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(loose.resolve("walstash"), PosixFilePermissions.fromString("rwxr-x---"));
        Path foreign = runtime("foreign", SELF);
        Files.createDirectory(foreign.resolve("walstash"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        new OsUser(Optional.of("postgres")).own(foreign.resolve("walstash"));
        for (Map.Entry<Path, String> refused : Map.of(loose, "has mode 750; it must be 700", foreign,
                "is owned by uid").entrySet()) {
            for (String client : List.of("on", "off")) {
                Path repository = work.resolve("repo-" + refused.getKey().getFileName() + "-" + client);
                Map<String, String> env = environment(repository, refused.getKey(), "WALSTASH_NATIVE_CLIENT", client);
                Processes.Outcome outcome = Launcher.run(SELF, env, "wal-push", segment.toString());
                assertThat(outcome.exitCode()).as(outcome.output()).isZero();
                assertThat(outcome.output().lines().filter(l -> l.startsWith("walstash: warning: daemon not used, working alone: ")
                        && l.contains(refused.getValue()))).as(outcome.output()).hasSize(1);
                assertThat(DaemonIT.contents(repository)).isEqualTo(DaemonIT.contents(alone));
                assertThat(daemons(refused.getKey())).isEmpty();

                // required: one error line and a non-zero exit, nothing stored
                Path nothing = work.resolve("nothing-" + refused.getKey().getFileName() + "-" + client);
                env = environment(nothing, refused.getKey(), "WALSTASH_NATIVE_CLIENT", client, AutoDaemon.MODE, "required");
                outcome = Launcher.run(SELF, env, "wal-push", segment.toString());
                assertThat(outcome.exitCode()).isEqualTo(ExitCode.IO_ERROR.code());
                assertThat(outcome.output().lines().toList()).as(outcome.output()).hasSize(1).first().asString()
                        .startsWith("walstash: error: WALSTASH_DAEMON=required and no daemon answered: ").contains(refused.getValue());
                assertThat(nothing).doesNotExist();
            }
        }
        Processes.Outcome bad = Launcher.run(SELF, environment(alone, loose, AutoDaemon.MODE, "sometimes"), "wal-push",
                segment.toString());
        assertThat(bad.exitCode()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(bad.output()).isEqualTo("walstash: error: WALSTASH_DAEMON must be auto, off or required, not 'sometimes'\n");
    }

    @Test
    void aServerOfAnotherUserAtTheSocketIsNotTrustedByEitherClient() throws Exception {
        // the client runs as PostgreSQL's OS user, the fake server as root (this test)
        org.junit.jupiter.api.Assumptions.assumeTrue(postgres.runAs().isPresent(), "needs root to run as two users");
        Path segment = segment("pg_wal", "000000010000000000000002", 3);
        Path alone = work.resolve("alone");
        Map<String, String> off = environment(alone, work, AutoDaemon.MODE, "off");
        assertThat(Launcher.run(postgres, off, "wal-push", segment.toString()).exitCode()).isZero();

        Path runtime = runtime("runtime", postgres);
        Path directory = Files.createDirectory(runtime.resolve("walstash"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        postgres.own(directory);
        Path explicit = work.resolve("explicit.sock");
        int round = 0;
        for (String client : List.of("on", "off")) {
            for (boolean auto : List.of(true, false)) {
                Path repository = work.resolve("repo-" + round++);
                Map<String, String> env = environment(repository, runtime, "WALSTASH_NATIVE_CLIENT", client);
                if (!auto) {
                    env.put(DaemonClient.SOCKET, explicit.toString());
                }
                // where the client will look: its settings as the launcher's process will have them
                Map<String, String> seen = new HashMap<>(System.getenv());
                seen.putAll(Launcher.withCache(env));
                String cwd = System.getProperty("user.dir");
                Path socket = auto ? AutoDaemon.socket(directory, AutoDaemon.digest(cwd, AutoDaemon.settings(seen, null, cwd)))
                        : explicit;
                Files.deleteIfExists(socket);
                try (ServerSocketChannel fake = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                    fake.bind(UnixDomainSocketAddress.of(socket));
                    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));
                    CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() -> {
                        try (SocketChannel connection = fake.accept()) {
                            return connection.read(java.nio.ByteBuffer.allocate(64)); // -1: closed without a request
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    Processes.Outcome outcome = Launcher.run(postgres, env, "wal-push", segment.toString());
                    String what = "client " + client + (auto ? " auto" : " explicit") + ": " + outcome.output();
                    assertThat(outcome.exitCode()).as(what).isZero();
                    assertThat(received.get(1, TimeUnit.MINUTES)).as(what).isEqualTo(-1);
                    assertThat(outcome.output().lines().filter(l -> l.startsWith("walstash: warning: daemon not used, working alone: ")
                            && l.contains("not trusting it"))).as(what).hasSize(1);
                    assertThat(DaemonIT.contents(repository)).as(what).isEqualTo(DaemonIT.contents(alone));
                } finally {
                    Files.deleteIfExists(socket);
                }
            }
        }
        assertThat(daemons(runtime)).isEmpty();
    }
}
