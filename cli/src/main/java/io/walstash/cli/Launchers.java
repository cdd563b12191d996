package io.walstash.cli;

import java.util.Optional;
import io.walstash.core.config.Settings;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.ConfigFile;
import io.walstash.core.config.Configuration;
import io.walstash.core.crypto.EncryptionSettings;
import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.storage.StorageLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The one place that words the command lines other processes run to reach this walstash (its verbs and flags). */
final class Launchers {
    private Launchers() {
    }

    /** The hidden verb of the prefetch worker process that a one-shot wal-fetch starts. */
    static final String PREFETCH_WORKER = "wal-prefetch";

    /** The prefetch worker's command line for {@code root}, run through {@code launcher}. */
    static List<String> prefetchWorker(Path launcher, Path root) {
        return List.of(launcher.toString(), PREFETCH_WORKER, "--dir", root.toString());
    }

    /**
     * The walstash command PostgreSQL runs. When PostgreSQL runs as another OS user, that user may
     * not be able to enter the directory walstash is installed in (/root/...), so the class path is
     * copied into the working directory, which that user owns.
     */
    static String launcher(OsUser user, Path work) throws IOException {
        if (user.runAs().isEmpty()) {
            return launcher();
        }
        Path lib = Files.createDirectories(work.resolve("walstash-lib"));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (Files.isRegularFile(jar)) {
                Files.copy(jar, lib.resolve(jar.getFileName().toString()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else if (Files.isDirectory(jar)) {
                FileTrees.copy(jar, lib.resolve("classes-" + Integer.toHexString(entry.hashCode())));
            }
        }
        // A wildcard, not the list of jars: PostgreSQL cuts archive_command at 1024 bytes.
        try (Stream<Path> entries = Files.list(lib)) {
            String directories = entries.filter(Files::isDirectory).map(Path::toString).sorted()
                    .collect(Collectors.joining(":"));
            return javaCommand(lib + "/*" + (directories.isEmpty() ? "" : ":" + directories));
        }
    }

    /** The walstash command PostgreSQL runs: this very launcher, or this JVM's class path when run from a build. */
    static String launcher() {
        Optional<String> launcher = CoreSettings.LAUNCHER.find(Settings.of(System.getenv()));
        if (launcher.isPresent()) {
            return shellQuote(launcher.get());
        }
        return javaCommand(System.getProperty("java.class.path"));
    }

    /** This JVM running walstash's main class on {@code classPath}, with the launcher's flags. */
    private static String javaCommand(String classPath) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return shellQuote(java.toString()) + " -XX:+UseSerialGC -cp " + shellQuote(classPath) + " " + Main.class.getName();
    }

    private static String shellQuote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$").replace("`", "\\`") + "\"";
    }

    /**
     * restore_command running this walstash's wal-fetch on the same repository (and config file) as
     * this command: its parts, for those who start what it will ask (restore's daemon ahead), and its line.
     *
     * @param keyFile the master key file set in front of the command, when it must be
     */
    record WalFetchLine(String launcher, String storage, Optional<Path> configFile, Optional<Path> keyFile) {
        /** The settings the line sets in front of the command, as they would be in its environment. */
        Map<String, String> environment() {
            return keyFile.map(f -> Map.of(EncryptionSettings.KEY_FILE.name(), f.toString())).orElse(Map.of());
        }

        String commandLine() {
            StringBuilder command = new StringBuilder();
            keyFile.ifPresent(f -> command.append(EncryptionSettings.KEY_FILE.name()).append('=').append(singleQuote(f.toString())).append(' '));
            command.append(launcher).append(" wal-fetch --storage ").append(singleQuote(storage));
            configFile.ifPresent(f -> command.append(" --config ").append(singleQuote(f.toString())));
            return command.append(" %f %p").toString();
        }
    }

    static WalFetchLine walFetchLine(ConfigOptions config, Configuration configuration) throws IOException {
        Optional<Path> configFile = Optional.ofNullable(config.configFile).or(() ->
                CoreSettings.CONFIG_FILE.find(configuration.settings())).map(f -> Path.of(f).toAbsolutePath());
        return new WalFetchLine(launcher(), StorageLocation.configured(configuration).uri().toString(), configFile,
                encryptionKeyFile(configuration, configFile));
    }

    /**
     * What restore_command needs in front to find the master key: nothing when no key is configured
     * or the config file it passes holds one, else the key file (set in front as an environment assignment). The
     * key itself is never written: a key given only as WALSTASH_ENCRYPTION_KEY is refused with what to do.
     */
    private static Optional<Path> encryptionKeyFile(Configuration configuration, Optional<Path> configFile) throws IOException {
        Optional<Settings.Given> keyFile = configuration.settings().given(EncryptionSettings.KEY_FILE);
        Optional<Settings.Given> key = configuration.settings().given(EncryptionSettings.KEY);
        if (keyFile.isEmpty() && key.isEmpty()) {
            return Optional.empty();
        }
        if (configFile.isPresent()) {
            Map<String, String> file = ConfigFile.read(configFile.get());
            if (EncryptionSettings.KEY_FILE.names().stream().anyMatch(file::containsKey)
                    || EncryptionSettings.KEY.names().stream().anyMatch(file::containsKey)) {
                return Optional.empty(); // the config file restore_command passes names the key (or its file)
            }
        }
        if (keyFile.isPresent()) {
            return Optional.of(Path.of(keyFile.get().value()).toAbsolutePath());
        }
        throw new IllegalArgumentException(key.get().name() + " is set in this environment only, and restore never writes a key"
                + " into restore_command: put the key in a file the server's OS user can read and set "
                + EncryptionSettings.KEY_FILE.name() + " to it (or in a --config file), or give --restore-command");
    }

    private static String singleQuote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
