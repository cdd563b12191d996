package io.walstash.core.postgres;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The directory holding initdb, pg_ctl, postgres and friends. */
public record PostgresBinaries(Path directory) {

    /** {@code PG_BIN} when set, else the newest {@code /usr/lib/postgresql/<major>/bin} with initdb in it. */
    public static PostgresBinaries find(Map<String, String> environment) throws IOException {
        return find(Settings.of(environment));
    }

    /** {@code PG_BIN} as {@code settings} have it, else the newest {@code /usr/lib/postgresql/<major>/bin} with initdb in it. */
    public static PostgresBinaries find(Settings settings) throws IOException {
        String configured = CoreSettings.PG_BIN.find(settings).orElse(null);
        if (configured != null) {
            PostgresBinaries binaries = new PostgresBinaries(Path.of(configured));
            if (!Files.isExecutable(binaries.tool("initdb"))) {
                throw new IOException("PG_BIN=" + configured + " has no executable initdb");
            }
            return binaries;
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                Optional<Path> newest = versions
                        .filter(p -> p.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                        .filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                        .max(Comparator.comparingDouble(p -> Double.parseDouble(p.getFileName().toString())));
                if (newest.isPresent()) {
                    return new PostgresBinaries(newest.get().resolve("bin"));
                }
            }
        }
        throw new IOException("no PostgreSQL binaries found: set PG_BIN to the directory holding initdb and pg_ctl");
    }

    public Path tool(String name) {
        return directory.resolve(name);
    }

    /** The major version, from {@code postgres --version}. */
    public int majorVersion() throws IOException {
        String output = Processes.run(java.util.List.of(tool("postgres").toString(), "--version"), Map.of(),
                java.time.Duration.ofSeconds(30));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(\\.\\d+)?").matcher(output);
        if (!m.find()) {
            throw new IOException("cannot read the version from: " + output.strip());
        }
        return Integer.parseInt(m.group(1));
    }
}
