package io.walstash.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.walstash.cli.CliRun;
import io.walstash.cli.CliSettings;
import io.walstash.cli.ExitCode;
import io.walstash.core.archive.WalService;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.core.testing.WebhookReceiver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon and its client in process: same answers as the command line, fallbacks, socket safety. */
class DaemonTest {
    private static final long SYSTEM_ID = 99;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : open) {
            closeable.close();
        }
    }

    private String storage(String name) {
        return dir.resolve(name).toUri().toString();
    }

    private DaemonServer daemon(Path socket, Map<String, String> settings) throws IOException {
        return daemon(socket, settings, 2, DaemonServer.REQUEST_TIMEOUT);
    }

    private DaemonServer daemon(Path socket, Map<String, String> settings, int threads, Duration requestTimeout)
            throws IOException {
        Configuration configuration = Configuration.of(settings);
        DaemonServer server = DaemonServer.start(socket,
                WalService.open(configuration, "walstash test", WalService.Mode.DAEMON), configuration, threads,
                requestTimeout, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        open.add(server);
        CompletableFuture.runAsync(server::serve);
        return server;
    }

    private record Answer(int exitCode, String err) {
    }

    /** The client with {@code environment}; without a configured socket it asks no auto daemon (AutoDaemonIT does). */
    private static Answer client(Map<String, String> environment, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> withMode = new HashMap<>(environment);
        withMode.putIfAbsent(AutoDaemon.MODE, "off");
        int code = DaemonClient.serve(args, withMode, new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Answer(code, err.toString(StandardCharsets.UTF_8));
    }

    /** Durations differ from run to run; everything else must not. */
    private static String withoutDuration(String message) {
        return message.replaceAll(" in \\d+ ms", " in N ms");
    }

    @Test
    void aFailedPushThroughTheDaemonReachesTheWebhookWithoutTheSecretPath() throws Exception {
        try (WebhookReceiver receiver = WebhookReceiver.start(200)) {
            String secretPath = "/services/T000/B000/daemon-secret-token";
            Path socket = dir.resolve("n.sock");
            daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("notified"),
                    "WALSTASH_NOTIFY_WEBHOOK", receiver.url(secretPath)));
            Map<String, String> environment = Map.of(DaemonClient.SOCKET, socket.toString());
            Path first = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("a")), "000000010000000000000002", SYSTEM_ID, 1);
            Path different = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("b")), "000000010000000000000002", SYSTEM_ID, 2);
            assertThat(client(environment, "wal-push", first.toString()).exitCode()).isZero();

            Answer conflict = client(environment, "wal-push", different.toString());

            assertThat(conflict.exitCode()).isEqualTo(ExitCode.CONFLICT.code());
            assertThat(conflict.err()).doesNotContain(secretPath);
            WebhookReceiver.Request posted = receiver.next(10);
            assertThat(posted).as("webhook request").isNotNull();
            assertThat(posted.path()).isEqualTo(secretPath);
            assertThat(posted.body()).contains("\"command\":\"wal-push\"").contains("\"exit_code\":4")
                    .contains("DIFFERENT content").doesNotContain(secretPath);
        }
    }

    @Test
    void daemonAnswersExactlyAsTheCommandLine() throws IOException {
        Path socket = dir.resolve("d.sock");
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("by-daemon")));
        Map<String, String> environment = Map.of(DaemonClient.SOCKET, socket.toString());
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Path first = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1);
        Path other = Files.createDirectories(dir.resolve("other"));
        Path different = WalSegmentFiles.segment(other, "000000010000000000000002", SYSTEM_ID, 2);
        Path foreign = WalSegmentFiles.segment(other, "000000010000000000000003", 12345, 3);

        List<String[]> calls = List.of(
                new String[] {"wal-push", first.toString()},
                new String[] {"wal-push", first.toString()},
                new String[] {"wal-push", different.toString()},
                new String[] {"wal-push", foreign.toString()},
                new String[] {"wal-push", dir.resolve("missing/000000010000000000000004").toString()},
                new String[] {"wal-push", pgWal.resolve("not-a-wal-name").toString()},
                new String[] {"wal-fetch", "000000010000000000000002", dir.resolve("fetched-%s").toString()},
                new String[] {"wal-fetch", "000000010000000000000009", dir.resolve("absent-%s").toString()},
                new String[] {"wal-fetch", "bogus", dir.resolve("bogus-%s").toString()});
        for (String[] call : calls) {
            String[] viaDaemon = call.clone();
            String[] alone = call.clone();
            if (call.length == 3) {
                viaDaemon[2] = String.format(call[2], "daemon");
                alone[2] = String.format(call[2], "alone");
            }
            Answer daemon = client(environment, viaDaemon);
            List<String> withStorage = new ArrayList<>(List.of(alone[0], "--storage", storage("alone")));
            withStorage.addAll(List.of(alone).subList(1, alone.length));
            CliRun cli = CliRun.of(withStorage.toArray(String[]::new));
            String what = String.join(" ", call);
            assertThat(daemon.exitCode()).as(what + ": " + daemon.err()).isEqualTo(cli.exitCode());
            assertThat(withoutDuration(daemon.err())).as(what)
                    .isEqualTo(withoutDuration(cli.err()).replace(storage("alone"), storage("by-daemon")));
        }
        assertThat(dir.resolve("fetched-daemon")).hasSameBinaryContentAs(first);
        assertThat(dir.resolve("fetched-alone")).hasSameBinaryContentAs(first);
        assertThat(dir.resolve("absent-daemon")).doesNotExist();
    }

    /** An operation log line without what differs from run to run: the time and the duration. */
    private static List<String> logged(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(l -> l.replaceFirst("^\\S+ ", "").replaceFirst(" \\d+ms", " Nms")).toList();
    }

    @Test
    void theDaemonLogsEachRequestAsTheCommandLineWouldIntoTheSeedsFilesByVerb() throws IOException {
        Path socket = dir.resolve("l.sock");
        Path archiveLog = dir.resolve("logs/wal-archive.log");
        Path restoreLog = dir.resolve("logs/wal-restore.log");
        Files.createDirectories(archiveLog.getParent());
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("logged"), "WAL_ARCHIVE_LOG", archiveLog.toString(),
                "WAL_RESTORE_LOG", restoreLog.toString()));
        Path alone = Files.writeString(dir.resolve("alone.env"), "WALSTASH_LOG_FILE=" + dir.resolve("logs/alone.log") + "\n");
        Map<String, String> environment = Map.of(DaemonClient.SOCKET, socket.toString());
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Path first = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1);
        Path different = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("other")), "000000010000000000000002", SYSTEM_ID, 2);

        List<String[]> calls = List.of(new String[] {"wal-push", first.toString()}, new String[] {"wal-push", different.toString()},
                new String[] {"wal-fetch", "000000010000000000000002", dir.resolve("fetched").toString()},
                new String[] {"wal-fetch", "000000010000000000000009", dir.resolve("absent").toString()});
        for (String[] call : calls) {
            assertThat(client(environment, call).err()).doesNotContain("warning");
            List<String> withConfig = new ArrayList<>(List.of(call[0], "--storage", storage("alone"), "--config", alone.toString()));
            withConfig.addAll(List.of(call).subList(1, call.length));
            CliRun.of(withConfig.toArray(String[]::new));
        }

        List<String> pushes = logged(archiveLog);
        assertThat(pushes).hasSize(2);
        assertThat(pushes.get(0)).isEqualTo("wal-push 000000010000000000000002 OK exit=0 Nms");
        assertThat(pushes.get(1)).startsWith("wal-push 000000010000000000000002 ERROR exit=4 Nms: wal/000000010000000000000002.zst is"
                + " already archived with DIFFERENT content");
        assertThat(logged(restoreLog)).containsExactly("wal-fetch 000000010000000000000002 OK exit=0 Nms",
                "wal-fetch 000000010000000000000009 NOT_FOUND exit=74 Nms");
        List<String> daemonLines = new ArrayList<>(pushes);
        daemonLines.addAll(logged(restoreLog));
        assertThat(logged(dir.resolve("logs/alone.log"))).as("the command line's lines, WALSTASH_LOG_FILE taking every verb")
                .isEqualTo(daemonLines);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(archiveLog))).isEqualTo("rw-------");
    }

    @Test
    void aLogTheDaemonCannotWriteIsOneWarningToOneCallerAndNoFailure() throws IOException {
        Path socket = dir.resolve("w.sock");
        Path unwritable = Files.createDirectories(dir.resolve("not-a-file"));
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("unlogged"), "WALSTASH_LOG_FILE", unwritable.toString()));
        Map<String, String> environment = Map.of(DaemonClient.SOCKET, socket.toString(), "WALSTASH_LOG_FILE", unwritable.toString());
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Answer first = client(environment, "wal-push", WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1).toString());
        Answer second = client(environment, "wal-push", WalSegmentFiles.segment(pgWal, "000000010000000000000003", SYSTEM_ID, 2).toString());

        assertThat(first.exitCode()).isZero();
        assertThat(first.err().lines().toList()).hasSize(2).element(1).asString()
                .startsWith("walstash: warning: cannot write the operation log " + unwritable);
        assertThat(second.exitCode()).isZero();
        assertThat(second.err()).startsWith("walstash: archived").doesNotContain("warning");
    }

    @Test
    void aFetchThatMustStopArchiveRecoveryIsAnsweredFatallyByDaemonAndCommandLineAlike() throws IOException {
        Path socket = dir.resolve("d.sock");
        String repository = storage("repo");
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), repository));
        Path source = Files.createDirectories(dir.resolve("source"));
        Path segment = WalSegmentFiles.segment(source, "000000010000000000000002", SYSTEM_ID, 1);
        assertThat(CliRun.of("wal-push", "--storage", repository, segment.toString()).exitCode()).isZero();
        Path stored = dir.resolve("repo/wal/000000010000000000000002.zst");
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length - 5] ^= 0x21;
        Files.write(stored, bytes);
        // a data directory in archive recovery, as PostgreSQL calls restore_command: %p = pg_wal/RECOVERYXLOG
        Path data = Files.createDirectories(dir.resolve("data/pg_wal")).getParent();
        Files.createFile(data.resolve("recovery.signal"));
        Path destination = data.resolve("pg_wal/RECOVERYXLOG");

        Answer daemon = client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-fetch",
                "000000010000000000000002", destination.toString());
        CliRun cli = CliRun.of("wal-fetch", "--storage", repository, "000000010000000000000002", destination.toString());

        assertThat(daemon.exitCode()).as(daemon.err()).isEqualTo(ExitCode.RECOVERY_STOPPED.code()).isEqualTo(cli.exitCode());
        assertThat(daemon.err()).isEqualTo(cli.err());
        assertThat(cli.errLines()).singleElement().asString()
                .startsWith("walstash: error: recovery stopped: cannot fetch 000000010000000000000002 from " + repository)
                .contains("wal/000000010000000000000002.zst")
                .contains("start PostgreSQL again");
        assertThat(destination).doesNotExist();

        // the same failure on a standby, or outside any data directory, is the ordinary answer
        Files.createFile(data.resolve("standby.signal"));
        assertThat(CliRun.of("wal-fetch", "--storage", repository, "000000010000000000000002", destination.toString())
                .exitCode()).isEqualTo(ExitCode.CORRUPT.code());
        assertThat(client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-fetch", "000000010000000000000002",
                dir.resolve("elsewhere").toString()).exitCode()).isEqualTo(ExitCode.CORRUPT.code());
        // and what the repository verifiably lacks stays "not in the archive", in recovery too
        Files.delete(data.resolve("standby.signal"));
        assertThat(client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-fetch", "000000010000000000000009",
                destination.toString()).exitCode()).isEqualTo(ExitCode.NOT_FOUND.code());
    }

    @Test
    void relativePathsMeanTheClientsWorkingDirectory() throws IOException {
        Path socket = dir.resolve("d.sock");
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("repo")));
        Path cwd = Path.of(System.getProperty("user.dir"));
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1);
        Answer push = client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-push",
                cwd.relativize(pgWal.resolve("000000010000000000000002")).toString());
        assertThat(push.exitCode()).as(push.err()).isZero();
        assertThat(dir.resolve("repo/wal/000000010000000000000002.zst")).exists();
    }

    @Test
    void aDaemonByHandDeclinesEverySettingTheClientGivesThatDiffersSecretsComparedByDigest() throws IOException {
        DaemonServer server = daemon(dir.resolve("d.sock"), Map.of(CoreSettings.STORAGE.name(), storage("repo"),
                "WALSTASH_LOOKAHEAD", "8", "AWS_SECRET_ACCESS_KEY", "s3cr3t"));
        assertThat(server.mismatch(Map.of("WALSTASH_LOOKAHEAD", "8"))).isNull();
        assertThat(server.mismatch(Map.of("WALSTASH_LOOKAHEAD", "0"))).isEqualTo("the client's WALSTASH_LOOKAHEAD is not the daemon's");
        assertThat(server.mismatch(Map.of("WALSTASH_SPOOL", "/spool"))).isEqualTo("the client's WALSTASH_SPOOL is not the daemon's");
        // WAL-G's name for the same setting
        assertThat(server.mismatch(Map.of("WALG_UPLOAD_CONCURRENCY", "2"))).isEqualTo("the client's WALSTASH_UPLOAD_CONCURRENCY is not the daemon's");
        assertThat(server.mismatch(Map.of("AWS_SECRET_ACCESS_KEY", AutoDaemon.wire("AWS_SECRET_ACCESS_KEY", "s3cr3t")))).isNull();
        assertThat(server.mismatch(Map.of("AWS_SECRET_ACCESS_KEY", AutoDaemon.wire("AWS_SECRET_ACCESS_KEY", "other"))))
                .isEqualTo("the client's AWS_SECRET_ACCESS_KEY is not the daemon's");
        // settings that change nothing written are not compared
        assertThat(server.mismatch(Map.of("WALSTASH_LOG_LEVEL", "debug", CliSettings.DAEMON_IDLE.name(), "1s"))).isNull();
        // a setting the daemon leaves at its default agrees with a client that spells the default out
        String concurrency = CoreSettings.DOWNLOAD_CONCURRENCY.name();
        String byDefault = Integer.toString(CoreSettings.DOWNLOAD_CONCURRENCY.defaultValue());
        assertThat(server.mismatch(Map.of(concurrency, byDefault))).isNull();
        assertThat(server.mismatch(Map.of("WALG_DOWNLOAD_CONCURRENCY", byDefault))).isNull();
        assertThat(server.mismatch(Map.of(concurrency, "0"))).isEqualTo("the client's " + concurrency + " is not the daemon's");
        assertThat(server.mismatch(Map.of("WALSTASH_LOOKAHEAD", "08"))).as("the same number").isNull();
    }

    @Test
    void anAutoDaemonServesExactlyItsOwnConfigurationAndNamesOnlyWhatDiffers() throws IOException {
        Map<String, String> environment = Map.of(CoreSettings.STORAGE.name(), storage("repo"), "WALSTASH_LOOKAHEAD", "8",
                "AWS_SECRET_ACCESS_KEY", "s3cr3t", "PATH", "/bin", CliSettings.DAEMON_IDLE.name(), "1m");
        java.util.SortedMap<String, String> own = AutoDaemon.settings(environment, null, dir.toString());
        assertThat(own).containsOnlyKeys(CoreSettings.STORAGE.name(), "WALSTASH_LOOKAHEAD", "AWS_SECRET_ACCESS_KEY");
        assertThat(own.get("AWS_SECRET_ACCESS_KEY")).startsWith("sha256:").doesNotContain("s3cr3t");
        Configuration configuration = Configuration.of(environment);
        DaemonServer server = DaemonServer.start(dir.resolve("auto.sock"),
                WalService.open(configuration, "walstash test", WalService.Mode.DAEMON), configuration, 1,
                DaemonServer.REQUEST_TIMEOUT, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new DaemonServer.Policy(java.util.Optional.of(own), java.util.Optional.empty()));
        open.add(server);
        assertThat(server.mismatch(own)).isNull();
        Map<String, String> fewer = new HashMap<>(own);
        fewer.remove("WALSTASH_LOOKAHEAD"); // a daemon by hand would take its own; an auto daemon may not
        assertThat(server.mismatch(fewer)).isEqualTo("the client's configuration is not this daemon's (differing: WALSTASH_LOOKAHEAD)");
        Map<String, String> other = new HashMap<>(own);
        other.put("AWS_SECRET_ACCESS_KEY", AutoDaemon.wire("AWS_SECRET_ACCESS_KEY", "other"));
        other.put("WALSTASH_SPOOL", "/spool");
        assertThat(server.mismatch(other)).isEqualTo(
                "the client's configuration is not this daemon's (differing: AWS_SECRET_ACCESS_KEY, WALSTASH_SPOOL)");
    }

    @Test
    void aClientWhoseSettingsNameAnotherRepositoryOrCodecIsDeclined() throws IOException {
        Path socket = dir.resolve("d.sock");
        DaemonServer server = daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("repo")));
        assertThat(server.mismatch(Map.of())).isNull();
        assertThat(server.mismatch(Map.of(CoreSettings.STORAGE.name(), storage("repo")))).isNull();
        assertThat(server.mismatch(Map.of("WALG_FILE_PREFIX", dir.resolve("repo").toString()))).isNull();
        assertThat(server.mismatch(Map.of(CoreSettings.STORAGE.name(), storage("elsewhere"))))
                .contains("storage " + storage("elsewhere")).contains("not the daemon's");
        assertThat(server.mismatch(Map.of("WALG_COMPRESSION_METHOD", "lz4"))).contains("compression lz4");
        Path config = Files.writeString(dir.resolve("walstash.env"), "WALSTASH_STORAGE=" + storage("elsewhere") + "\n");
        assertThat(server.mismatch(Map.of(CoreSettings.CONFIG_FILE.name(), config.toString()))).contains("elsewhere");

        // declined: the client leaves the request to the full command line
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Path segment = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1);
        Answer declined = client(Map.of(DaemonClient.SOCKET, socket.toString(), CoreSettings.STORAGE.name(), storage("elsewhere")),
                "wal-push", segment.toString());
        assertThat(declined.exitCode()).isEqualTo(DaemonClient.NOT_SERVED);
        assertThat(dir.resolve("repo/wal")).doesNotExist();
        assertThat(dir.resolve("elsewhere")).doesNotExist();
    }

    @Test
    void theClientServesNothingWithoutAnAnswer() throws Exception {
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        String segment = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1).toString();
        // no socket configured; no file at the socket path
        assertThat(client(Map.of(), "wal-push", segment).exitCode()).isEqualTo(DaemonClient.NOT_SERVED);
        assertThat(client(Map.of(DaemonClient.SOCKET, dir.resolve("none.sock").toString()), "wal-push", segment).exitCode())
                .isEqualTo(DaemonClient.NOT_SERVED);

        // a daemon that takes the request and dies before answering
        Path socket = dir.resolve("dies.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            CompletableFuture<Void> dies = CompletableFuture.runAsync(() -> {
                try (SocketChannel client = server.accept()) {
                    DaemonProtocol.readRequest(Channels.newInputStream(client));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-push", segment).exitCode())
                    .isEqualTo(DaemonClient.NOT_SERVED);
            dies.get(30, TimeUnit.SECONDS);
        }

        // a daemon of another protocol version
        Path newer = dir.resolve("newer.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(newer));
            CompletableFuture<Void> answers = CompletableFuture.runAsync(() -> {
                try (SocketChannel client = server.accept()) {
                    DaemonProtocol.readRequest(Channels.newInputStream(client));
                    DaemonProtocol.writeResponse(Channels.newOutputStream(client), DaemonProtocol.VERSION + 1,
                            DaemonProtocol.Response.result(0, "walstash: archived, says a newer daemon"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Answer answer = client(Map.of(DaemonClient.SOCKET, newer.toString()), "wal-push", segment);
            assertThat(answer.exitCode()).isEqualTo(DaemonClient.NOT_SERVED);
            assertThat(answer.err()).isEmpty();
            answers.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDaemonDeclinesAClientOfAnotherVersionInItsOwn() throws IOException {
        Path socket = dir.resolve("d.sock");
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("repo")));
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(channel));
            out.write("WSDAEMON".getBytes(StandardCharsets.US_ASCII));
            out.writeShort(7);
            out.writeInt(0);
            out.flush();
            DaemonProtocol.Response response = DaemonProtocol.readResponse(Channels.newInputStream(channel));
            assertThat(response.kind()).isEqualTo(DaemonProtocol.Kind.DECLINED);
            assertThat(response.message()).isEqualTo("protocol version 7 is not supported (this side speaks 1)");
        }
    }

    @Test
    void socketIsPrivateAndAStaleOneIsReplacedButNeverALiveOneOrAFile() throws Exception {
        Path socket = dir.resolve("d.sock");
        Map<String, String> settings = Map.of(CoreSettings.STORAGE.name(), storage("repo"));
        DaemonServer first = daemon(socket, settings);
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        try (Stream<Path> entries = Files.list(dir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("d.sock"); // no private dir left
        }
        assertThatThrownBy(() -> daemon(socket, settings)).isInstanceOf(IOException.class)
                .hasMessage("a walstash daemon already answers on " + socket + "; not starting a second one");
        first.close();
        assertThat(socket).doesNotExist();

        // a socket file left by a daemon that died
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        daemon(socket, settings);
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        Path file = Files.writeString(dir.resolve("not-a-socket"), "keep me");
        assertThatThrownBy(() -> daemon(file, settings)).hasMessage(file + " exists and is not a socket; not replacing it");
        assertThat(file).hasContent("keep me");
    }

    @Test
    void aConnectionThatSendsNothingCannotHoldTheDaemon() throws Exception {
        Path socket = dir.resolve("d.sock");
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("repo")), 1, Duration.ofMillis(200));
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        String segment = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1).toString();
        try (SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            silent.connect(UnixDomainSocketAddress.of(socket));
            // the only thread is held by the silent connection until its timeout frees it
            Answer push = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-push", segment));
            assertThat(push.exitCode()).as(push.err()).isZero();
            assertThat(silent.read(java.nio.ByteBuffer.allocate(1))).as("closed by the daemon").isEqualTo(-1);
        }
    }

    @Test
    void fastPathTakesOnlyPlainWalCommands() {
        assertThat(DaemonClient.parse(new String[] {"wal-push", "pg_wal/0001"}))
                .isEqualTo(new DaemonClient.Call(DaemonProtocol.Verb.PUSH, List.of("pg_wal/0001"), null, null, null, null));
        assertThat(DaemonClient.parse(new String[] {"wal-fetch", "--daemon-socket=/s", "N", "D", "--config", "c.env"}))
                .isEqualTo(new DaemonClient.Call(DaemonProtocol.Verb.FETCH, List.of("N", "D"), "/s", "c.env", null, null));
        // the auto daemon's configuration includes them (restore writes wal-fetch --storage URI)
        assertThat(DaemonClient.parse(new String[] {"wal-push", "--storage", "file:///r", "--compression=lz4", "p"}))
                .isEqualTo(new DaemonClient.Call(DaemonProtocol.Verb.PUSH, List.of("p"), null, null, "file:///r", "lz4"));
        for (String[] notFast : List.of(new String[] {}, new String[] {"backup-push", "x"},
                new String[] {"wal-push", "--spool", "/s", "p"}, new String[] {"wal-push", "p", "--storage"},
                new String[] {"wal-push", "--help"}, new String[] {"wal-push", "--", "-p"}, new String[] {"wal-push"},
                new String[] {"wal-push", "a", "b"}, new String[] {"wal-fetch", "n"}, new String[] {"wal-push", "p", "--config"})) {
            assertThat(DaemonClient.parse(notFast)).as(String.join(" ", notFast)).isNull();
        }
    }

    @Test
    void theFullCommandLineAcceptsTheDaemonOptionItFallsBackFrom() throws IOException {
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        String segment = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1).toString();
        CliRun push = CliRun.of("wal-push", "--daemon-socket", dir.resolve("none.sock").toString(), "--storage",
                storage("repo"), segment);
        assertThat(push.exitCode()).as(push.err()).isZero();
        CliRun fetch = CliRun.of("wal-fetch", "--daemon-socket=" + dir.resolve("none.sock"), "--storage", storage("repo"),
                "000000010000000000000002", dir.resolve("fetched").toString());
        assertThat(fetch.exitCode()).as(fetch.err()).isZero();
        assertThat(dir.resolve("fetched")).hasSameBinaryContentAs(Path.of(segment));
    }

    @Test
    void socketMayComeFromTheConfigFileAndTheOptionWins() throws IOException {
        Path socket = dir.resolve("d.sock");
        daemon(socket, Map.of(CoreSettings.STORAGE.name(), storage("repo")));
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        String segment = WalSegmentFiles.segment(pgWal, "000000010000000000000002", SYSTEM_ID, 1).toString();
        Path config = Files.writeString(dir.resolve("walstash.env"), "export WALSTASH_DAEMON_SOCKET='" + socket + "'\n");
        assertThat(client(Map.of(CoreSettings.CONFIG_FILE.name(), config.toString()), "wal-push", segment).exitCode()).isZero();
        assertThat(client(Map.of(), "wal-push", "--config", config.toString(), segment).exitCode()).isZero();
        // an empty option turns the daemon off whatever the environment says
        assertThat(client(Map.of(DaemonClient.SOCKET, socket.toString()), "wal-push", "--daemon-socket=", segment).exitCode())
                .isEqualTo(DaemonClient.NOT_SERVED);
    }

    @Test
    void framesRoundTripAndCorruptOnesAreRefused() throws IOException {
        Map<String, String> settings = new HashMap<>();
        settings.put("WALSTASH_STORAGE", "s3://bücket/π");
        DaemonProtocol.Request request = new DaemonProtocol.Request(DaemonProtocol.Verb.FETCH, "/var/lib/postgresql/15/main",
                List.of("000000010000000000000002", "pg_wal/RECOVERYXLOG"), settings);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DaemonProtocol.writeRequest(bytes, request);
        assertThat(DaemonProtocol.readRequest(new ByteArrayInputStream(bytes.toByteArray()))).isEqualTo(request);

        ByteArrayOutputStream response = new ByteArrayOutputStream();
        DaemonProtocol.writeResponse(response, DaemonProtocol.Response.result(74, "walstash: ünïcode"));
        assertThat(DaemonProtocol.readResponse(new ByteArrayInputStream(response.toByteArray())))
                .isEqualTo(DaemonProtocol.Response.result(74, "walstash: ünïcode"));

        byte[] notOurs = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> DaemonProtocol.readRequest(new ByteArrayInputStream(notOurs)))
                .isInstanceOf(DaemonProtocol.VersionMismatchException.class).hasMessage("not a walstash daemon frame");
        byte[] huge = bytes.toByteArray().clone();
        huge[10] = 0x7f; // body length's top byte
        assertThatThrownBy(() -> DaemonProtocol.readRequest(new ByteArrayInputStream(huge))).hasMessageContaining("exceeds the limit");
        byte[] truncated = java.util.Arrays.copyOf(bytes.toByteArray(), bytes.size() - 3);
        assertThatThrownBy(() -> DaemonProtocol.readRequest(new ByteArrayInputStream(truncated)))
                .isInstanceOf(java.io.EOFException.class);
    }
}
