import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Build step of the launcher folder, run after every jar in {@code LIB_DIR} is in place. Usage:
 * {@code IndexProviders LIB_DIR [--lib CLOSURE_FILE [--shared CLOSURE_FILE]... [--adapter JAR=CLOSURE_FILE]...]}.
 *
 * <p>Writes {@code LIB_DIR/providers.index}: a line {@code jar <name> <size>} for each jar, then a
 * line {@code provider <service> <provider>} for each provider that a
 * {@code META-INF/services/<service>} file of a jar declares, walstash's cli and core jars first (as
 * the launcher's class path has them), then the others by name.
 *
 * <p>Why: java.util.ServiceLoader opens every jar of the class path to find those files; the first
 * search of a run opened all 150 of lib/ (a quarter of a one-shot {@code wal-fetch}). The launcher
 * passes the index ({@code -Dwalstash.providers}); io.walstash.core.config.ServiceProviders reads
 * the providers from it while the class path holds exactly the jars it records, by name and size.
 *
 * <p>And, for each storage scheme, {@code LIB_DIR/providers-<scheme>.index}: the same for only the
 * jars a command on that scheme needs, which the launcher makes the class path when it can tell the
 * scheme from the command line or the environment. Why: the JDK itself searches the whole class
 * path now and then (java.util.logging's and System.Logger's provider lookups, a URL handler
 * lookup, all of them in an encrypted command), opening every jar; with the 26-odd jars of a
 * {@code file://} repository instead of 150 an encrypted scale-20 restore took about 75 ms less.
 * The jars a scheme needs are lib/'s less those only the other storage adapters need: an adapter's
 * own jar and its runtime dependencies ({@code --adapter}: the module's jar name and the file its
 * build wrote with the dependency plugin's build-classpath) that no module every command uses
 * ({@code --shared}: core, compression, the file:// adapter) depends on. A module built alone may
 * resolve another version of a dependency than the whole (Maven's nearest-wins), so a closure's
 * entries are matched to lib/'s jars by group, artifact and classifier, from the closure that
 * filled lib/ ({@code --lib}: cli's). The scheme is the one the
 * adapter's StorageProvider gives, asked from a class loader over exactly that scheme's jars, which
 * also proves the adapter loads from them. When a closure file is missing or names a jar lib/ does
 * not hold (a module built apart from the rest), no scheme gets an index and the launcher keeps the
 * whole of lib/ on the class path.
 */
public final class IndexProviders {
    private static final String SERVICES = "META-INF/services/";
    private static final String STORAGE_PROVIDER = "io.walstash.core.storage.StorageProvider";

    private IndexProviders() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length % 2 != 1) {
            throw new IllegalArgumentException(
                    "usage: IndexProviders LIB_DIR [--lib CLOSURE_FILE [--shared CLOSURE_FILE]... [--adapter JAR=CLOSURE_FILE]...]");
        }
        Path lib = Path.of(args[0]);
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> listed = Files.newDirectoryStream(lib, "*.jar")) {
            listed.forEach(jars::add);
        }
        jars.sort(Comparator.comparing((Path jar) -> rank(jar.getFileName().toString()))
                .thenComparing(jar -> jar.getFileName().toString()));
        Map<Path, Map<String, List<String>>> declared = new LinkedHashMap<>();
        for (Path jar : jars) {
            declared.put(jar, servicesOf(jar));
        }
        write(lib.resolve("providers.index"), jars, declared);

        try (DirectoryStream<Path> old = Files.newDirectoryStream(lib, "providers-*.index")) {
            for (Path index : old) {
                Files.delete(index);
            }
        }
        Set<String> shared = new LinkedHashSet<>();
        Map<String, Set<String>> adapters = new LinkedHashMap<>();
        Map<String, String> inLib = null;
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].equals("--lib") && inLib == null) {
                throw new IllegalArgumentException(args[i] + " before --lib");
            }
            switch (args[i]) {
                case "--lib" -> {
                    inLib = libJars(lib, Path.of(args[i + 1]));
                    if (inLib == null) {
                        return;
                    }
                }
                case "--shared" -> {
                    Set<String> closure = closure(inLib, lib, Path.of(args[i + 1]));
                    if (closure == null) {
                        return;
                    }
                    shared.addAll(closure);
                }
                case "--adapter" -> {
                    String[] pair = args[i + 1].split("=", 2);
                    Set<String> closure = pair.length == 2 ? closure(inLib, lib, Path.of(pair[1])) : null;
                    if (pair.length != 2 || !Files.isRegularFile(lib.resolve(pair[0]))) {
                        System.out.println("IndexProviders: no per-scheme indexes: adapter jar " + pair[0] + " is not in " + lib);
                        return;
                    }
                    if (closure == null) {
                        return;
                    }
                    closure.add(pair[0]);
                    adapters.put(pair[0], closure);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        // what only an adapter needs; every other jar stays on every scheme's class path
        Map<String, Set<String>> exclusive = new LinkedHashMap<>();
        adapters.forEach((adapter, closure) -> {
            Set<String> own = new LinkedHashSet<>(closure);
            own.removeAll(shared);
            exclusive.put(adapter, own);
        });
        Map<String, List<Path>> schemes = new TreeMap<>();
        for (Path jar : jars) {
            List<String> storageProviders = declared.get(jar).getOrDefault(STORAGE_PROVIDER, List.of());
            if (storageProviders.isEmpty()) {
                continue;
            }
            String name = jar.getFileName().toString();
            Set<String> own = exclusive.getOrDefault(name, Set.of());
            List<Path> subset = new ArrayList<>();
            for (Path candidate : jars) {
                String candidateName = candidate.getFileName().toString();
                boolean othersOnly = !own.contains(candidateName) && exclusive.entrySet().stream()
                        .anyMatch(e -> !e.getKey().equals(name) && e.getValue().contains(candidateName));
                if (!othersOnly) {
                    subset.add(candidate);
                }
            }
            for (String provider : storageProviders) {
                String scheme = schemeOf(provider, subset);
                if (!scheme.matches("[a-z][a-z0-9]*")) {
                    throw new IllegalStateException(provider + " gives scheme '" + scheme + "', not a name for an index file");
                }
                if (schemes.put(scheme, subset) != null) {
                    throw new IllegalStateException("two storage providers for scheme " + scheme);
                }
            }
        }
        for (Map.Entry<String, List<Path>> scheme : schemes.entrySet()) {
            write(lib.resolve("providers-" + scheme.getKey() + ".index"), scheme.getValue(), declared);
        }
    }

    /** The service files of {@code jar}: service name to the providers it declares, in order. */
    private static Map<String, List<String>> servicesOf(Path jar) throws IOException {
        Map<String, List<String>> services = new TreeMap<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (!name.startsWith(SERVICES) || name.length() == SERVICES.length() || entry.isDirectory()
                        || name.indexOf('/', SERVICES.length()) >= 0) {
                    continue;
                }
                List<String> providers = services.computeIfAbsent(name.substring(SERVICES.length()), s -> new ArrayList<>());
                try (BufferedReader in = new BufferedReader(new InputStreamReader(file.getInputStream(entry),
                        StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        int comment = line.indexOf('#');
                        String provider = (comment >= 0 ? line.substring(0, comment) : line).strip();
                        if (!provider.isEmpty()) {
                            providers.add(provider);
                        }
                    }
                }
            }
        }
        return services;
    }

    /** Writes the index of {@code jars} (in class-path order) to {@code index}, atomically. */
    private static void write(Path index, List<Path> jars, Map<Path, Map<String, List<String>>> declared)
            throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("# the jars of a class path and the service providers their META-INF/services files declare (written by the build)");
        for (Path jar : jars) {
            lines.add("jar " + jar.getFileName() + " " + Files.size(jar));
        }
        int jarLines = lines.size();
        for (Path jar : jars) {
            declared.get(jar).forEach((service, providers) ->
                    providers.forEach(provider -> lines.add("provider " + service + " " + provider)));
        }
        Path written = index.resolveSibling(index.getFileName() + ".tmp");
        Files.write(written, lines, StandardCharsets.UTF_8);
        Files.move(written, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("IndexProviders: " + index.getFileName() + ": " + (lines.size() - jarLines)
                + " providers from " + jars.size() + " jars");
    }

    /**
     * lib/'s jars by {@link #artifact} key, from the build-classpath file of the module whose
     * dependencies lib/ holds; null (said why) when it is missing or names a jar lib/ does not hold.
     */
    private static Map<String, String> libJars(Path lib, Path file) throws IOException {
        List<Path> entries = entries(file);
        if (entries == null) {
            return null;
        }
        Map<String, String> jars = new LinkedHashMap<>();
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            if (!Files.isRegularFile(lib.resolve(name))) {
                System.out.println("IndexProviders: no per-scheme indexes: " + file + " names " + name
                        + ", which is not in " + lib);
                return null;
            }
            jars.put(artifact(entry), name);
        }
        return jars;
    }

    /** The lib/ jars a module's build-classpath file names; null (said why) when one has no counterpart in lib/. */
    private static Set<String> closure(Map<String, String> inLib, Path lib, Path file) throws IOException {
        List<Path> entries = entries(file);
        if (entries == null) {
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        for (Path entry : entries) {
            String name = Files.isRegularFile(lib.resolve(entry.getFileName())) ? entry.getFileName().toString()
                    : inLib.get(artifact(entry));
            if (name == null) {
                System.out.println("IndexProviders: no per-scheme indexes: " + file + " names " + entry
                        + ", which has no counterpart in " + lib);
                return null;
            }
            names.add(name);
        }
        return names;
    }

    /** The entries of a build-classpath file; null (said why) when it is missing. */
    private static List<Path> entries(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            System.out.println("IndexProviders: no per-scheme indexes: " + file + " is missing");
            return null;
        }
        List<Path> entries = new ArrayList<>();
        for (String entry : Files.readString(file, StandardCharsets.UTF_8).strip().split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry));
            }
        }
        return entries;
    }

    /**
     * A jar's identity whatever its version: in a Maven repository ({@code <group dirs>/<artifact>/<version>/
     * <artifact>-<version>[-<classifier>].<ext>}) the group and artifact folder and what follows the
     * version in the name; elsewhere (a module of this build) the file name.
     */
    private static String artifact(Path entry) {
        Path versionDir = entry.getParent();
        Path artifactDir = versionDir == null ? null : versionDir.getParent();
        if (artifactDir == null) {
            return entry.toString();
        }
        String prefix = artifactDir.getFileName() + "-" + versionDir.getFileName();
        String name = entry.getFileName().toString();
        return name.startsWith(prefix) ? artifactDir + "/" + name.substring(prefix.length()) : entry.getFileName().toString();
    }

    /** The scheme {@code provider} gives, instantiated from a class loader over exactly {@code jars}. */
    private static String schemeOf(String provider, List<Path> jars) throws IOException, ReflectiveOperationException {
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = jars.get(i).toUri().toURL();
        }
        try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            Object instance = Class.forName(provider, true, loader).getConstructor().newInstance();
            return (String) instance.getClass().getMethod("scheme").invoke(instance);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(provider + " could not be instantiated from its scheme's jars", e.getCause());
        }
    }

    /** walstash-cli, then walstash-core, then the rest: the order of the launcher's class path. */
    private static int rank(String jar) {
        if (jar.startsWith("walstash-cli-")) {
            return 0;
        }
        return jar.startsWith("walstash-core-") ? 1 : 2;
    }
}
