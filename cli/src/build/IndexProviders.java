import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Build step of the launcher folder, run after every jar in {@code args[0]} is in place: writes
 * the index {@code args[1]}: a line {@code jar <name> <size>} for each jar, then a line
 * {@code provider <service> <provider>} for each provider that a {@code META-INF/services/<service>}
 * file of a jar declares, walstash's cli and core jars first (as the launcher's class path has
 * them), then the others by name.
 *
 * <p>Why: java.util.ServiceLoader opens every jar of the class path to find those files; the first
 * search of a run opened all 150 of lib/ (a quarter of a one-shot {@code wal-fetch}). The launcher
 * passes the index ({@code -Dwalstash.providers}); io.walstash.core.config.ServiceProviders reads
 * the providers from it while lib/ holds exactly the jars it records, by name and size.
 */
public final class IndexProviders {
    private static final String SERVICES = "META-INF/services/";

    private IndexProviders() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: IndexProviders LIB_DIR INDEX_FILE");
        }
        Path lib = Path.of(args[0]);
        Path index = Path.of(args[1]);
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> listed = Files.newDirectoryStream(lib, "*.jar")) {
            listed.forEach(jars::add);
        }
        jars.sort(Comparator.comparing((Path jar) -> rank(jar.getFileName().toString()))
                .thenComparing(jar -> jar.getFileName().toString()));
        List<String> lines = new ArrayList<>();
        lines.add("# lib/'s jars and the service providers their META-INF/services files declare (written by the build)");
        for (Path jar : jars) {
            lines.add("jar " + jar.getFileName() + " " + Files.size(jar));
        }
        int jarLines = lines.size();
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                List<JarEntry> services = new ArrayList<>();
                for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                    JarEntry entry = entries.nextElement();
                    String name = entry.getName();
                    if (name.startsWith(SERVICES) && name.length() > SERVICES.length() && !entry.isDirectory()
                            && name.indexOf('/', SERVICES.length()) < 0) {
                        services.add(entry);
                    }
                }
                services.sort(Comparator.comparing(JarEntry::getName));
                for (JarEntry entry : services) {
                    String service = entry.getName().substring(SERVICES.length());
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(file.getInputStream(entry),
                            StandardCharsets.UTF_8))) {
                        for (String line = in.readLine(); line != null; line = in.readLine()) {
                            int comment = line.indexOf('#');
                            String provider = (comment >= 0 ? line.substring(0, comment) : line).strip();
                            if (!provider.isEmpty()) {
                                lines.add("provider " + service + " " + provider);
                            }
                        }
                    }
                }
            }
        }
        Path written = index.resolveSibling(index.getFileName() + ".tmp");
        Files.write(written, lines, StandardCharsets.UTF_8);
        Files.move(written, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("IndexProviders: " + (lines.size() - jarLines) + " providers from " + jars.size() + " jars");
    }

    /** walstash-cli, then walstash-core, then the rest: the order of the launcher's class path. */
    private static int rank(String jar) {
        if (jar.startsWith("walstash-cli-")) {
            return 0;
        }
        return jar.startsWith("walstash-core-") ? 1 : 2;
    }
}
