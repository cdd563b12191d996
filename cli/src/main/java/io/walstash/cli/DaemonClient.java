package io.walstash.cli;

import io.walstash.core.config.ConfigFile;
import io.walstash.core.config.Configuration;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    static final String SOCKET = "WALSTASH_DAEMON_SOCKET";
    static final String SOCKET_OPTION = "--daemon-socket";
    /** Returned when the daemon did not serve the request. */
    static final int NOT_SERVED = -1;

    private DaemonClient() {
    }

    /** A wal-push or wal-fetch command line the fast path understands. */
    record Call(DaemonProtocol.Verb verb, List<String> arguments, String socketOption, String configOption) {
    }

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
     * Prints the daemon's message on {@code err}.
     */
    static int serve(String[] args, Map<String, String> environment, PrintStream err) {
        try {
            Call call = parse(args);
            if (call == null) {
                return NOT_SERVED;
            }
            String configFile = call.configOption() != null ? call.configOption() : nonBlank(environment.get(Configuration.CONFIG_FILE));
            String socket = socket(call, environment, configFile);
            if (socket == null) {
                return NOT_SERVED;
            }
            DaemonProtocol.Request request = new DaemonProtocol.Request(call.verb(), System.getProperty("user.dir"),
                    call.arguments(), settings(environment, configFile));
            DaemonProtocol.Response response = exchange(Path.of(socket), request);
            if (response.kind() != DaemonProtocol.Kind.RESULT) {
                debug(environment, err, "the daemon declined: " + response.message());
                return NOT_SERVED;
            }
            if (response.exitCode() < 0 || response.exitCode() > 255) {
                // not an exit status at all: serving the request here is the safe reading (0..125 and
                // 128, wal-fetch's "recovery stopped", are walstash's; see ExitCode)
                debug(environment, err, "the daemon answered with exit code " + response.exitCode());
                return NOT_SERVED;
            }
            if (!response.message().isEmpty()) {
                err.println(response.message());
            }
            return response.exitCode();
        } catch (java.io.EOFException e) {
            debug(environment, err, "the daemon closed the connection without an answer");
            return NOT_SERVED;
        } catch (IOException | RuntimeException e) {
            // No answer from the daemon: nothing was reported, so serving in process is safe.
            debug(environment, err, "daemon not used: " + e.getMessage());
            return NOT_SERVED;
        }
    }

    /**
     * The fast path takes only {@code wal-push PATH} and {@code wal-fetch NAME DEST} with
     * {@code --daemon-socket} and {@code --config}. Anything else (--storage, --compression, --help,
     * {@code --}) is left to the full command line, whose result might differ from the daemon's.
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
        String socket = null;
        String config = null;
        for (int i = 1; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(SOCKET_OPTION) || arg.equals("--config")) {
                if (i + 1 >= args.length) {
                    return null;
                }
                if (arg.equals(SOCKET_OPTION)) {
                    socket = args[++i];
                } else {
                    config = args[++i];
                }
            } else if (arg.startsWith(SOCKET_OPTION + "=")) {
                socket = arg.substring(SOCKET_OPTION.length() + 1);
            } else if (arg.startsWith("--config=")) {
                config = arg.substring("--config=".length());
            } else if (arg.startsWith("-")) {
                return null;
            } else {
                positional.add(arg);
            }
        }
        return positional.size() == (verb == DaemonProtocol.Verb.PUSH ? 1 : 2) ? new Call(verb, positional, socket, config) : null;
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

    /** The settings that choose repository and codec, as this process sees them: the daemon compares them with its own. */
    static Map<String, String> settings(Map<String, String> environment, String configFile) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String name : List.of(Configuration.STORAGE, Configuration.COMPRESSION)) {
            copy(environment, name, settings);
            for (String alias : Configuration.ALIASES.get(name)) { // a loop: a lambda costs the client milliseconds
                copy(environment, alias, settings);
            }
        }
        if (configFile != null) {
            settings.put(Configuration.CONFIG_FILE, Path.of(configFile).toAbsolutePath().toString());
        }
        return settings;
    }

    private static void copy(Map<String, String> from, String name, Map<String, String> to) {
        String value = nonBlank(from.get(name));
        if (value != null) {
            to.put(name, value);
        }
    }

    static DaemonProtocol.Response exchange(Path socket, DaemonProtocol.Request request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            DaemonProtocol.writeRequest(Channels.newOutputStream(channel), request);
            InputStream in = Channels.newInputStream(channel);
            return DaemonProtocol.readResponse(in);
        }
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static void debug(Map<String, String> environment, PrintStream err, String message) {
        String level = environment.getOrDefault(Configuration.LOG_LEVEL, environment.get("WALG_LOG_LEVEL"));
        if (level != null && level.strip().equalsIgnoreCase("debug")) {
            err.println("walstash: debug: " + message);
        }
    }
}
