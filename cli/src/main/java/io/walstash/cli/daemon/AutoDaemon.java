package io.walstash.cli.daemon;

import io.walstash.cli.CliSettings;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingCatalogue;
import io.walstash.core.config.Settings;
import io.walstash.core.io.Digests;
import java.io.File;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The daemon that starts itself ({@code WALSTASH_DAEMON=auto}): where its socket is, what
 * configuration it serves, and how a client starts it. Used by {@link DaemonClient} before anything
 * but the JDK and walstash's two jars is loaded, and by {@code walstash daemon --auto}; the C client
 * (cli/src/main/c/walstash-client.c) does the same and DaemonIT checks that both name the same socket.
 *
 * <p>A daemon serves exactly one effective configuration: the settings below (values of secrets
 * reduced to their SHA-256), the config file's absolute path and content, and the working directory
 * (PostgreSQL runs its commands in the data directory, so two clusters never share a daemon, and
 * relative paths in settings mean the same to both). The socket is named by a digest of all of
 * it and lives in a private directory of this OS user.
 */
final class AutoDaemon {
    static final String MODE = CliSettings.DAEMON.name();
    /** `required` waits longer: failing is worse than a slow first call. */
    static final Duration REQUIRED_WAIT = Duration.ofSeconds(30);
    /** A start marker older than this belongs to a start that failed: the next call may try again. */
    static final Duration STALE_START = Duration.ofSeconds(30);
    static final String CONFIG_DIGEST = "WALSTASH_CONFIG_SHA256";

    /**
     * Setting names whose values the client sends and the digest covers, by prefix: undeclared ones
     * too, because the SDKs read names walstash does not declare (AWS_PROFILE, AZURE_CLIENT_ID …).
     */
    static final List<String> PREFIXES = List.of("WALSTASH_", "WALG_", "AWS_", "AZURE_", "GOOGLE_");
    /**
     * Names outside those prefixes that are part of a configuration all the same: the seed's operation
     * logs (OperationLogSettings; names here, not the declarations, because the fast path stays light).
     */
    static final List<String> ALSO = List.of("WAL_ARCHIVE_LOG", "WAL_RESTORE_LOG");
    /**
     * Parts of names whose values are secrets: only their SHA-256 leaves the process. Declared secrets
     * are hashed by their declaration; this covers the names nobody declares, and the places that see
     * no adapter's declarations (the JVM fast path on two jars, the C client): SettingsCatalogueTest
     * checks that every declared secret of those prefixes matches a part here, so all hash alike.
     */
    static final List<String> SECRET_PARTS = List.of("SECRET", "PASSWORD", "TOKEN", "KEY", "CREDENTIAL",
            "CONNECTION_STRING", "SAS", "SSE_C", "WEBHOOK");
    private static final String SECRET_PREFIX = "sha256:";

    private AutoDaemon() {
    }

    enum Mode {
        AUTO, OFF, REQUIRED;

        /** From the environment; unset or blank is auto. */
        static Mode of(Map<String, String> environment) {
            String value = environment.get(MODE);
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(MODE + " must be auto, off or required, not '" + value.strip() + "'");
            }
        }
    }

    /** The directory is not this user's alone: its sockets could be answered by someone else. */
    static final class UntrustedException extends IOException {
        UntrustedException(String message) {
            super(message);
        }
    }

    /**
     * The settings of one effective configuration, as the request carries them and the digest covers
     * them: every relevant environment setting (secret values as their SHA-256), and the config
     * file's absolute path and content digest.
     *
     * @param configFile the config file (option or environment), or null
     */
    static SortedMap<String, String> settings(Map<String, String> environment, String configFile, String workingDirectory)
            throws IOException {
        SortedMap<String, String> settings = new TreeMap<>();
        for (Map.Entry<String, String> entry : environment.entrySet()) {
            String name = entry.getKey();
            String value = entry.getValue() == null ? "" : entry.getValue().strip();
            if (!value.isEmpty() && relevant(name)) {
                settings.put(name, wire(name, value));
            }
        }
        if (configFile != null) {
            Path file = Path.of(workingDirectory).resolve(configFile);
            settings.put(CoreSettings.CONFIG_FILE.name(), file.toString());
            settings.put(CONFIG_DIGEST, sha256(Files.readAllBytes(file)));
        }
        return settings;
    }

    /**
     * {@code environment} with {@code --storage} and {@code --compression} (when given) in place of
     * the settings they override (walstash's name and WAL-G's aliases), as the configuration reads them.
     */
    static Map<String, String> withOptions(Map<String, String> environment, String storage, String compression) {
        if (storage == null && compression == null) {
            return environment;
        }
        Map<String, String> amended = new HashMap<>(environment);
        for (Map.Entry<String, String> option : Map.of(CoreSettings.STORAGE.name(), storage == null ? "" : storage,
                CoreSettings.COMPRESSION.name(), compression == null ? "" : compression).entrySet()) {
            if (!option.getValue().isEmpty()) {
                amended.remove(option.getKey());
                for (String alias : SettingCatalogue.current().named(option.getKey()).orElseThrow().names()) {
                    amended.remove(alias); // a loop: a lambda costs the client milliseconds
                }
                amended.put(option.getKey(), option.getValue());
            }
        }
        return amended;
    }

    /**
     * Whether {@code name} is part of a daemon's configuration: one of {@link #ALSO}, or a name of those prefixes that no
     * declaration marks neutral (the daemon's and launcher's own, the log level: all declared by core
     * and the CLI, so the fast path, which sees no adapter, agrees). The config file is covered by its
     * absolute path and content digest instead.
     */
    static boolean relevant(String name) {
        if (ALSO.contains(name)) {
            return true;
        }
        for (String prefix : PREFIXES) {
            if (name.startsWith(prefix)) {
                if (name.equals(CONFIG_DIGEST)) {
                    return false;
                }
                Optional<Setting<?>> declared = SettingCatalogue.current().named(name);
                return declared.isEmpty() || !declared.get().neutral();
            }
        }
        return false;
    }

    /** The value as it travels and is compared: a secret's only as its digest. */
    static String wire(String name, String value) {
        if (value.startsWith(SECRET_PREFIX)) {
            return value;
        }
        Optional<Setting<?>> declared = SettingCatalogue.current().named(name);
        boolean secret = declared.isPresent() && declared.get().secret();
        for (String part : SECRET_PARTS) {
            secret |= name.contains(part);
        }
        return secret ? SECRET_PREFIX + sha256(value.getBytes(StandardCharsets.UTF_8)) : value;
    }

    /** Names the configuration: SHA-256 over a version tag, the working directory, then each {@code name=value}, NUL-ended. */
    static String digest(String workingDirectory, SortedMap<String, String> settings) {
        StringBuilder text = new StringBuilder("walstash-daemon-1\0cwd=").append(workingDirectory).append('\0');
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            text.append(setting.getKey()).append('=').append(setting.getValue()).append('\0');
        }
        return sha256(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code $XDG_RUNTIME_DIR/walstash}, else {@code /tmp/walstash-<uid>}. */
    static Path runtimeDirectory(Map<String, String> environment) throws IOException {
        String runtime = environment.get("XDG_RUNTIME_DIR");
        if (runtime != null && runtime.startsWith("/")) {
            return Path.of(runtime, "walstash");
        }
        return Path.of("/tmp", "walstash-" + uid());
    }

    /**
     * The runtime directory, created 0700 if missing; refused unless it is a real directory (not a
     * link) owned by this user with no access for group or others.
     */
    static Path privateDirectory(Map<String, String> environment) throws IOException {
        Path directory = runtimeDirectory(environment);
        try {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // checked below like any other
        }
        Map<String, Object> attributes = Files.readAttributes(directory, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) attributes.get("mode");
        int owner = (Integer) attributes.get("uid");
        if ((mode & 0170000) != 0040000) {
            throw new UntrustedException(directory + " is not a directory");
        }
        if (owner != uid()) {
            throw new UntrustedException(directory + " is owned by uid " + owner + ", not by this user (uid " + uid() + ")");
        }
        if ((mode & 077) != 0) {
            throw new UntrustedException(directory + " has mode " + Integer.toOctalString(mode & 0777)
                    + "; it must be 700");
        }
        return directory;
    }

    /**
     * The socket of the auto daemon that serves {@code settings} in {@code workingDirectory}: in the
     * private runtime directory of {@code environment}, named by their digest.
     */
    static Path socket(Map<String, String> environment, String workingDirectory, SortedMap<String, String> settings)
            throws IOException {
        return socket(privateDirectory(environment), digest(workingDirectory, settings));
    }

    /** The socket's name: a Unix socket path must stay under 108 bytes, 32 hex digits are plenty. */
    static Path socket(Path directory, String digest) {
        return directory.resolve(digest.substring(0, 32) + ".sock");
    }

    static Path lock(Path socket) {
        return sibling(socket, ".lock");
    }

    static Path log(Path socket) {
        return sibling(socket, ".log");
    }

    static Path startMarker(Path socket) {
        return sibling(socket, ".starting");
    }

    private static Path sibling(Path socket, String extension) {
        String name = socket.getFileName().toString();
        return socket.resolveSibling(name.substring(0, name.length() - ".sock".length()) + extension);
    }

    /**
     * Starts {@code walstash daemon --auto} in its own session (util-linux's setsid: not in the
     * caller's process group, so PostgreSQL's signals to its archiver never reach it), stdin from
     * /dev/null, stdout and stderr appended to the owner-only log beside the socket, no other file
     * descriptor inherited (the JDK closes them), unless another call is starting one already.
     *
     * @return whether this call started one
     */
    static boolean start(Path socket, String launcher, List<String> options, Path workingDirectory,
                         Map<String, String> inFront) throws IOException {
        if (!claimStart(socket)) {
            return false;
        }
        try {
            Path log = log(socket);
            if (!Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
                Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            List<String> command = new ArrayList<>(List.of(setsid(), launcher, "daemon", "--auto"));
            command.addAll(options);
            ProcessBuilder daemon = new ProcessBuilder(command);
            daemon.environment().putAll(inFront);
            daemon.directory(workingDirectory.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            return true;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(startMarker(socket));
            throw e;
        }
    }

    /**
     * Creates the start marker; false when another call created it less than {@link #STALE_START}
     * ago (that call starts the daemon). The daemon removes it once it listens or has given up.
     */
    static boolean claimStart(Path socket) throws IOException {
        Path marker = startMarker(socket);
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.createFile(marker, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                return true;
            } catch (FileAlreadyExistsException e) {
                try {
                    FileTime created = Files.getLastModifiedTime(marker, LinkOption.NOFOLLOW_LINKS);
                    if (created.toInstant().isAfter(Instant.now().minus(STALE_START))) {
                        return false;
                    }
                    Files.deleteIfExists(marker);
                } catch (NoSuchFileException gone) {
                    // removed meanwhile: try again
                }
            }
        }
        return false;
    }

    private static String setsid() throws IOException {
        for (String candidate : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IOException("no setsid (util-linux) to start the daemon in its own session");
    }

    /**
     * Refuses a peer that runs as another user: SO_PEERCRED names the process that created the
     * socket's listening end, whoever owns the file.
     */
    static void checkPeer(SocketChannel channel, Path socket) throws IOException {
        jdk.net.UnixDomainPrincipal peer = channel.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED);
        // /proc/self belongs to this process's effective user
        java.nio.file.attribute.UserPrincipal us = Files.getOwner(Path.of("/proc/self"));
        if (!peer.user().equals(us)) {
            throw new UntrustedException("the process answering on " + socket + " runs as " + peer.user().getName()
                    + ", not as " + us.getName() + "; not trusting it");
        }
    }

    /** How long a call waits for a daemon it started: the environment's {@code WALSTASH_DAEMON_WAIT}, as the C client reads it. */
    static Duration waitForStart(Map<String, String> environment) {
        return CliSettings.DAEMON_WAIT.get(Settings.of(environment));
    }

    static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(Digests.sha256().digest(bytes));
    }
}
