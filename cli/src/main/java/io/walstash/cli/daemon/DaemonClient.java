package io.walstash.cli.daemon;

import io.walstash.cli.CliSettings;
import io.walstash.cli.ExitCode;
import io.walstash.core.config.ConfigFile;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The fast path of {@code wal-push} and {@code wal-fetch}: hands the request to a running daemon
 * and prints its answer. It runs before picocli, Jackson, slf4j or any storage SDK is loaded, so it
 * touches only the JDK, {@link DaemonProtocol} and core's light {@link ConfigFile}. Whenever the
 * daemon cannot give an answer (none configured, none running, another protocol version, settings
 * that name another repository, or the daemon dying before it answered) the caller serves the
 * request in process; the result is the same, and a push re-sent after a daemon died is an
 * identical re-push.
 */
final class DaemonClient {
    static final String SOCKET = CliSettings.DAEMON_SOCKET.name();
    static final String SOCKET_OPTION = "--daemon-socket";
    /** Returned when the daemon did not serve the request. */
    static final int NOT_SERVED = -1;

    private DaemonClient() {
    }

    /** A wal-push or wal-fetch command line the fast path understands. */
    record Call(DaemonProtocol.Verb verb, List<String> arguments, String socketOption, String configOption,
                String storageOption, String compressionOption) {
        /** The environment as the command line's options amend it: what the configuration is made of. */
        Map<String, String> environment(Map<String, String> environment) {
            return AutoDaemon.withOptions(environment, storageOption, compressionOption);
        }

        /** The config file: the option's, else the environment's; null when neither names one. */
        String configFile(Map<String, String> environment) {
            return configOption != null ? configOption : nonBlank(environment.get(CoreSettings.CONFIG_FILE.name()));
        }
    }

    private static final List<String> OPTIONS = List.of(SOCKET_OPTION, "--config", "--storage", "--compression");

    /**
     * The launcher's fast path, run on a class path of walstash's own two jars only: prints the
     * daemon's exit code on stdout when it answered (its message went to stderr), and nothing when
     * it did not, in which case the launcher runs the full command line.
     */
    public static void main(String[] args) {
        int code = serve(args, System.getenv(), System.err);
        if (code != NOT_SERVED) {
            System.out.println(code);
            System.out.flush();
        }
    }

    /**
     * Serves {@code args} through the daemon if it can; returns the exit code, or {@link #NOT_SERVED}.
     * Prints the daemon's message on {@code err}. With a configured socket, asks the daemon there;
     * otherwise, unless {@code WALSTASH_DAEMON=off}, asks (and if need be starts) the auto daemon of
     * this configuration ({@link AutoDaemon}).
     */
    static int serve(String[] args, Map<String, String> environment, PrintStream err) {
        Call call = parse(args);
        if (call == null) {
            return NOT_SERVED;
        }
        AutoDaemon.Mode mode;
        try {
            mode = AutoDaemon.Mode.of(environment);
        } catch (IllegalArgumentException e) {
            err.println("walstash: error: " + e.getMessage());
            return ExitCode.INVALID_INPUT.code();
        }
        try {
            String configFile = call.configFile(environment);
            environment = withConfiguredLogLevel(environment, configFile);
            String socket = socket(call, environment, configFile);
            if (call.socketOption() != null && socket == null) {
                return NOT_SERVED; // an empty --daemon-socket= turns every daemon off
            }
            String workingDirectory = System.getProperty("user.dir");
            if (socket != null) {
                if (call.storageOption() != null || call.compressionOption() != null) {
                    return NOT_SERVED; // a daemon started by hand has its own settings, maybe not these
                }
                DaemonProtocol.Request request = new DaemonProtocol.Request(call.verb(), workingDirectory,
                        call.arguments(), AutoDaemon.settings(environment, configFile, workingDirectory));
                return unanswered(mode, ask(Path.of(socket), request, environment, err), environment, err);
            }
            if (mode == AutoDaemon.Mode.OFF) {
                return NOT_SERVED;
            }
            SortedMap<String, String> settings = AutoDaemon.settings(call.environment(environment), configFile, workingDirectory);
            debug(environment, err, "configuration of cwd " + workingDirectory + ": " + String.join(" ", settings.keySet()));
            DaemonProtocol.Request request = new DaemonProtocol.Request(call.verb(), workingDirectory, call.arguments(), settings);
            Path auto = AutoDaemon.socket(environment, workingDirectory, settings);
            Answer answer = ask(auto, request, environment, err);
            if (answer.kind() == Answer.Kind.ABSENT) {
                answer = startAndAsk(mode, auto, request, call, environment, err);
            }
            return unanswered(mode, answer, environment, err);
        } catch (AutoDaemon.UntrustedException e) {
            return unanswered(mode, new Answer(Answer.Kind.UNTRUSTED, NOT_SERVED, e.getMessage()), environment, err);
        } catch (IOException | RuntimeException e) {
            // No answer from the daemon: nothing was reported, so serving in process is safe.
            return unanswered(mode, new Answer(Answer.Kind.FAILED, NOT_SERVED, e.getMessage()), environment, err);
        }
    }

    /** What asking a daemon gave: its exit code, or why there is none. */
    record Answer(Kind kind, int exitCode, String why) {
        enum Kind { SERVED, ABSENT, UNTRUSTED, FAILED }
    }

    /**
     * The answer's exit code when the daemon served; otherwise {@link #NOT_SERVED} (the caller works
     * alone) after a warning when the socket was not trustworthy, or, with {@code WALSTASH_DAEMON=required},
     * an error line and {@link ExitCode#IO_ERROR}.
     */
    private static int unanswered(AutoDaemon.Mode mode, Answer answer, Map<String, String> environment, PrintStream err) {
        if (answer.kind() == Answer.Kind.SERVED) {
            return answer.exitCode();
        }
        if (mode == AutoDaemon.Mode.REQUIRED) {
            err.println("walstash: error: " + AutoDaemon.MODE + "=required and no daemon answered: " + answer.why());
            return ExitCode.IO_ERROR.code();
        }
        if (answer.kind() == Answer.Kind.UNTRUSTED) {
            err.println("walstash: warning: daemon not used, working alone: " + answer.why());
        } else {
            debug(environment, err, "daemon not used: " + answer.why());
        }
        return NOT_SERVED;
    }

    /** Starts the auto daemon (unless another call is starting it) and asks it, waiting for it a bounded time. */
    private static Answer startAndAsk(AutoDaemon.Mode mode, Path socket, DaemonProtocol.Request request, Call call,
                                      Map<String, String> environment, PrintStream err) throws IOException {
        String launcher = nonBlank(environment.get(CoreSettings.LAUNCHER.name()));
        if (launcher == null) {
            return new Answer(Answer.Kind.FAILED, NOT_SERVED, "no launcher (WALSTASH_LAUNCHER) to start a daemon with");
        }
        boolean started = AutoDaemon.start(socket, launcher, daemonOptions(call.configOption(), call.storageOption(),
                call.compressionOption()), Path.of(request.workingDirectory()), Map.of());
        debug(environment, err, started ? "started a daemon for " + socket : "another call is starting the daemon for " + socket);
        Duration wait = mode == AutoDaemon.Mode.REQUIRED ? AutoDaemon.REQUIRED_WAIT
                : AutoDaemon.waitForStart(environment);
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            boolean starting = Files.exists(AutoDaemon.startMarker(socket));
            Answer answer = ask(socket, request, environment, err);
            if (answer.kind() != Answer.Kind.ABSENT || System.nanoTime() - deadline >= 0) {
                return answer;
            }
            if (!starting) {
                // the daemon removes the marker once it listens (then it answered above) or when it gave up
                return new Answer(Answer.Kind.ABSENT, NOT_SERVED, "the daemon did not start (see " + AutoDaemon.log(socket) + ")");
            }
            try {
                // the daemon's socket appears once it listens; nothing to be told by, so look again shortly
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return answer;
            }
        }
    }

    /** {@code --config}, {@code --storage} and {@code --compression} as a call has them: the auto daemon's configuration is the call's. */
    private static List<String> daemonOptions(String configOption, String storageOption, String compressionOption) {
        List<String> options = new ArrayList<>();
        for (String[] option : new String[][] {{"--config", configOption}, {"--storage", storageOption},
                {"--compression", compressionOption}}) {
            if (option[1] != null) {
                options.add(option[0] + "=" + option[1]);
            }
        }
        return options;
    }

    /**
     * Starts the auto daemon that {@code wal-fetch --storage STORAGE [--config CONFIG] %f %p} will ask
     * when run in {@code workingDirectory} with {@code environment} and {@code inFront} (the settings
     * its command line sets), unless the daemon is off, a socket is configured, or it runs already.
     */
    static Daemons.AheadStart startAhead(Map<String, String> environment, Map<String, String> inFront, String configOption,
                                         String storageOption, Path workingDirectory) {
        Map<String, String> callEnvironment = new HashMap<>(environment);
        callEnvironment.putAll(inFront);
        try {
            if (AutoDaemon.Mode.of(callEnvironment) == AutoDaemon.Mode.OFF) {
                return new Daemons.AheadStart.Skipped(AutoDaemon.MODE + "=off");
            }
            Call call = new Call(DaemonProtocol.Verb.FETCH, List.of(), null, configOption, storageOption, null);
            String configFile = call.configFile(callEnvironment);
            if (socket(call, callEnvironment, configFile) != null) {
                return new Daemons.AheadStart.Skipped("a daemon socket is configured");
            }
            String launcher = nonBlank(callEnvironment.get(CoreSettings.LAUNCHER.name()));
            if (launcher == null) {
                return new Daemons.AheadStart.Skipped("no launcher (" + CoreSettings.LAUNCHER.name() + ") to start a daemon with");
            }
            String directory = workingDirectory.toString();
            SortedMap<String, String> settings = AutoDaemon.settings(call.environment(callEnvironment), configFile, directory);
            Path auto = AutoDaemon.socket(callEnvironment, directory, settings);
            // a socket is there while a daemon listens (or one that died left it: the first call then starts one as
            // always); not a lock test, which a daemon starting meanwhile would take for another daemon's
            if (Files.exists(auto, LinkOption.NOFOLLOW_LINKS)) {
                return new Daemons.AheadStart.Running(auto);
            }
            return AutoDaemon.start(auto, launcher, daemonOptions(configOption, storageOption, null), workingDirectory, inFront)
                    ? new Daemons.AheadStart.Started(auto) : new Daemons.AheadStart.Running(auto);
        } catch (IOException | RuntimeException e) {
            return new Daemons.AheadStart.Failed(e.getMessage());
        }
    }

    /** Sends {@code request} to the daemon on {@code socket} once it proved to run as this user. */
    private static Answer ask(Path socket, DaemonProtocol.Request request, Map<String, String> environment, PrintStream err)
            throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                // no socket, or one nobody listens on (a daemon that died or is stopping)
                return new Answer(Answer.Kind.ABSENT, NOT_SERVED, socket + ": " + e.getMessage());
            }
            AutoDaemon.checkPeer(channel, socket);
            DaemonProtocol.Response response;
            try {
                DaemonProtocol.writeRequest(Channels.newOutputStream(channel), request);
                response = DaemonProtocol.readResponse(Channels.newInputStream(channel));
            } catch (java.io.EOFException e) {
                return new Answer(Answer.Kind.FAILED, NOT_SERVED, "the daemon closed the connection without an answer");
            }
            if (response.kind() != DaemonProtocol.Kind.RESULT) {
                return new Answer(Answer.Kind.FAILED, NOT_SERVED, "the daemon declined: " + response.message());
            }
            if (response.exitCode() < 0 || response.exitCode() > 255) {
                // not an exit status at all: serving the request here is the safe reading (0..125 and
                // 128, wal-fetch's "recovery stopped", are walstash's; see ExitCode)
                return new Answer(Answer.Kind.FAILED, NOT_SERVED, "the daemon answered with exit code " + response.exitCode());
            }
            if (!response.message().isEmpty()) {
                err.println(response.message());
            }
            return new Answer(Answer.Kind.SERVED, response.exitCode(), "");
        }
    }

    /**
     * The fast path takes only {@code wal-push PATH} and {@code wal-fetch NAME DEST} with
     * {@code --daemon-socket}, {@code --config}, {@code --storage} and {@code --compression} (the last
     * two only for the auto daemon, whose configuration they are part of). Anything else (--help,
     * {@code --}, other options) is left to the full command line.
     */
    static Call parse(String[] args) {
        if (args.length == 0) {
            return null;
        }
        DaemonProtocol.Verb verb = switch (args[0]) {
            case "wal-push" -> DaemonProtocol.Verb.PUSH;
            case "wal-fetch" -> DaemonProtocol.Verb.FETCH;
            default -> null;
        };
        if (verb == null) {
            return null;
        }
        List<String> positional = new ArrayList<>();
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            String option = OPTIONS.contains(arg) ? arg : arg.indexOf('=') > 0 && OPTIONS.contains(arg.substring(0, arg.indexOf('=')))
                    ? arg.substring(0, arg.indexOf('=')) : null;
            if (option != null) {
                if (option.equals(arg)) {
                    if (i + 1 >= args.length) {
                        return null;
                    }
                    options.put(option, args[++i]);
                } else {
                    options.put(option, arg.substring(option.length() + 1));
                }
            } else if (arg.startsWith("-")) {
                return null;
            } else {
                positional.add(arg);
            }
        }
        return positional.size() == (verb == DaemonProtocol.Verb.PUSH ? 1 : 2)
                ? new Call(verb, positional, options.get(SOCKET_OPTION), options.get("--config"), options.get("--storage"),
                        options.get("--compression"))
                : null;
    }

    /** The option, then the environment, then the config file, as for every other setting; blank means none. */
    private static String socket(Call call, Map<String, String> environment, String configFile) throws IOException {
        if (call.socketOption() != null) {
            return nonBlank(call.socketOption());
        }
        String fromEnvironment = nonBlank(environment.get(SOCKET));
        if (fromEnvironment != null || configFile == null) {
            return fromEnvironment;
        }
        return nonBlank(ConfigFile.read(Path.of(configFile)).get(SOCKET));
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /**
     * The environment, with the config file's log level added when the environment sets none: the
     * JVM client's debug lines follow the merged configuration like everything else. (The C client's
     * follow the environment only: it parses no config file.)
     */
    static Map<String, String> withConfiguredLogLevel(Map<String, String> environment, String configFile) throws IOException {
        if (configFile == null || logLevel(environment) != null) {
            return environment;
        }
        String level = logLevel(ConfigFile.read(Path.of(configFile)));
        if (level == null) {
            return environment;
        }
        Map<String, String> amended = new HashMap<>(environment);
        amended.put(CoreSettings.LOG_LEVEL.name(), level);
        return amended;
    }

    /** WALSTASH_LOG_LEVEL or its aliases, in the declared order; a loop: a lambda costs the client milliseconds. */
    private static String logLevel(Map<String, String> values) {
        for (String name : CoreSettings.LOG_LEVEL.names()) {
            String level = nonBlank(values.get(name));
            if (level != null) {
                return level;
            }
        }
        return null;
    }

    private static void debug(Map<String, String> environment, PrintStream err, String message) {
        String level = logLevel(environment);
        if (level != null && level.equalsIgnoreCase("debug")) {
            err.println("walstash: debug: " + message);
        }
    }
}
