package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.Processes;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build's index of lib/'s service providers: what ServiceLoader finds, and what a launched command uses. */
class ProviderIndexIT {
    @TempDir
    Path dir;

    private static Path home() throws Exception {
        return Launcher.path().getParent().getParent();
    }

    /** lib/'s jars as the launcher's class path has them: walstash-cli, walstash-core, then the others by name. */
    private static List<Path> jars(Path lib) throws Exception {
        try (Stream<Path> listed = Files.list(lib)) {
            return listed.filter(p -> p.getFileName().toString().endsWith(".jar"))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString().startsWith("walstash-cli-") ? 0
                            : p.getFileName().toString().startsWith("walstash-core-") ? 1 : 2)
                            .thenComparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    /**
     * No jar of lib/ is signed: class-data sharing leaves a signed jar's classes out of the archive a
     * run dumps, and JDK 17's dump crashed over Azure's (SchemeClassPathIT's azure:// commands, exit
     * 134). Azure's jars are unsigned by the build (cli/src/build/UnsignJars.java): no signature files
     * and only the manifest's main attributes, and their classes still load and work (the azure://
     * round trip of SchemeClassPathIT). BouncyCastle, once the largest jar there, is not in lib/ at all.
     */
    @Test
    void noJarOfLibIsSignedAndAzuresKeepTheirMainAttributes() throws Exception {
        List<Path> jars;
        try (Stream<Path> listed = Files.list(home().resolve("lib"))) {
            jars = listed.filter(p -> p.getFileName().toString().endsWith(".jar")).toList();
        }
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                assertThat(file.stream().map(JarEntry::getName)
                        .filter(name -> name.matches("(?i)META-INF/[^/]+\\.(SF|RSA|DSA|EC)"))).as(jar.toString()).isEmpty();
            }
        }
        assertThat(jars).noneMatch(jar -> jar.getFileName().toString().startsWith("bcprov-"));
        Path azureCore = jars.stream().filter(p -> p.getFileName().toString().matches("azure-core-[0-9].*\\.jar"))
                .findFirst().orElseThrow();
        try (JarFile jar = new JarFile(azureCore.toFile(), true, java.util.zip.ZipFile.OPEN_READ, Runtime.version())) {
            assertThat(jar.getManifest().getEntries()).isEmpty();
            assertThat(jar.getManifest().getMainAttributes()).isNotEmpty();
        }
    }

    @Test
    void theIndexListsWhatServiceLoaderFindsForEveryWalstashService() throws Exception {
        Path lib = home().resolve("lib");
        List<Path> jars = jars(lib);
        Map<String, List<String>> indexed = new LinkedHashMap<>();
        List<String> recordedJars = new ArrayList<>();
        for (String line : Files.readAllLines(lib.resolve("providers.index"))) {
            String[] fields = line.split(" ");
            if (fields[0].equals("provider")) {
                indexed.computeIfAbsent(fields[1], s -> new ArrayList<>()).add(fields[2]);
            } else if (fields[0].equals("jar")) {
                recordedJars.add(fields[1] + " " + fields[2]);
            }
        }
        List<String> actualJars = new ArrayList<>();
        for (Path jar : jars) {
            actualJars.add(jar.getFileName() + " " + Files.size(jar));
        }
        assertThat(recordedJars).containsExactlyElementsOf(actualJars);

        List<String> services = new ArrayList<>();
        for (Path jar : jars) {
            try (JarFile file = new JarFile(jar.toFile())) {
                for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (name.startsWith("META-INF/services/io.walstash.")) {
                        services.add(name.substring("META-INF/services/".length()));
                    }
                }
            }
        }
        assertThat(services).as("walstash's services in lib/").contains("io.walstash.core.storage.StorageProvider",
                "io.walstash.core.codec.Codec", "io.walstash.core.config.SettingDeclarations");
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = jars.get(i).toUri().toURL();
        }
        try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            for (String service : services.stream().distinct().toList()) {
                List<String> found = ServiceLoader.load(Class.forName(service, false, loader), loader).stream()
                        .map(p -> p.type().getName()).toList();
                assertThat(indexed.get(service)).as(service).containsExactlyElementsOf(found);
            }
        }
    }

    /**
     * Each storage scheme's index lists what ServiceLoader finds on a class path of exactly the jars
     * it records, which are lib/'s less the other storage adapters' own: the build's selection
     * loads, and nothing a scheme's jars declare is left out.
     */
    @Test
    void eachSchemesIndexListsWhatServiceLoaderFindsOnItsJars() throws Exception {
        Path lib = home().resolve("lib");
        List<Path> schemes;
        try (Stream<Path> listed = Files.list(lib)) {
            schemes = listed.filter(p -> p.getFileName().toString().matches("providers-[a-z0-9]+\\.index")).sorted().toList();
        }
        assertThat(schemes).extracting(p -> p.getFileName().toString())
                .containsExactly("providers-azure.index", "providers-file.index", "providers-gs.index", "providers-s3.index");
        for (Path index : schemes) {
            List<Path> jars = new ArrayList<>();
            Map<String, List<String>> indexed = new LinkedHashMap<>();
            for (String line : Files.readAllLines(index)) {
                String[] fields = line.split(" ");
                if (fields[0].equals("jar")) {
                    assertThat(Files.size(lib.resolve(fields[1]))).as(line).isEqualTo(Long.parseLong(fields[2]));
                    jars.add(lib.resolve(fields[1]));
                } else if (fields[0].equals("provider")) {
                    indexed.computeIfAbsent(fields[1], s -> new ArrayList<>()).add(fields[2]);
                }
            }
            URL[] urls = new URL[jars.size()];
            for (int i = 0; i < urls.length; i++) {
                urls[i] = jars.get(i).toUri().toURL();
            }
            try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
                for (String service : indexed.keySet().stream().filter(s -> s.startsWith("io.walstash.")).toList()) {
                    List<String> found = ServiceLoader.load(Class.forName(service, false, loader), loader).stream()
                            .map(p -> p.type().getName()).toList();
                    assertThat(indexed.get(service)).as(index.getFileName() + " " + service).containsExactlyElementsOf(found);
                }
            }
        }
    }

    /** An empty zip (its end record only). */
    private static final byte[] EMPTY_ZIP = {0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

    /** A copy of the launcher folder whose provider index {@code index} has each line edited by {@code edit}. */
    private Path copyWithIndex(String index, java.util.function.UnaryOperator<String> edit) throws Exception {
        Path copy = dir.resolve("walstash");
        FileTrees.copy(home(), copy);
        Path file = copy.resolve("lib").resolve(index);
        Files.write(file, Files.readAllLines(file).stream().map(edit).toList());
        return copy;
    }

    /** wal-fetch of a segment the repository does not have, by {@code copy}'s launcher with {@code settings}. */
    private Processes.Outcome fetch(Path copy, Map<String, String> settings) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("pg_wal"));
        Map<String, String> environment = new java.util.HashMap<>(settings);
        environment.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
        List<String> fetch = List.of(copy.resolve("bin/walstash").toString(), "wal-fetch", "000000010000000000000002",
                empty.resolve("x").toString());
        return Processes.runAllowingFailure(fetch, Launcher.withCache(environment), Duration.ofMinutes(5));
    }

    /**
     * A launched command takes its providers from the index while the class path holds the jars it
     * records: an index without the file:// adapter leaves that scheme unknown; once lib/ changes,
     * ServiceLoader searches again and finds it. The storage is named in a config file only, so the
     * class path is the whole of lib/ and the index lib/providers.index (SchemeClassPathIT has the
     * per-scheme ones).
     */
    @Test
    void aLaunchedCommandUsesTheIndexUntilLibChanges() throws Exception {
        Path copy = copyWithIndex("providers.index",
                l -> l.endsWith(" io.walstash.storage.fs.FileStorageProvider") ? "" : l);
        Path config = Files.writeString(dir.resolve("walstash.env"), "WALSTASH_STORAGE=" + dir.resolve("repo").toUri() + "\n");
        Map<String, String> settings = Map.of("WALSTASH_CONFIG", config.toString());

        Processes.Outcome indexed = fetch(copy, settings);
        assertThat(indexed.exitCode()).as(indexed.output()).isNotZero().isNotEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(indexed.output()).contains("no storage provider for scheme 'file'");

        Files.write(copy.resolve("lib/extra.jar"), EMPTY_ZIP); // a jar the index does not record
        Processes.Outcome searched = fetch(copy, settings);
        assertThat(searched.exitCode()).as(searched.output()).isEqualTo(ExitCode.NOT_FOUND.code());
    }

    /**
     * With the storage in the environment the command runs on its scheme's index: a provider it
     * names wrongly is an error there (ServiceLoader would have found the right one); a jar added to
     * lib/, which that class path does not have, changes nothing, while a jar of that class path
     * replaced since means ServiceLoader's search again.
     */
    @Test
    void aLaunchedCommandOnAKnownSchemeUsesThatSchemesIndex() throws Exception {
        Path copy = copyWithIndex("providers-file.index",
                l -> l.replace(" io.walstash.storage.fs.FileStorageProvider", " io.walstash.storage.fs.NoSuchProvider"));
        Map<String, String> settings = Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString());

        Processes.Outcome indexed = fetch(copy, settings);
        assertThat(indexed.exitCode()).as(indexed.output()).isNotZero().isNotEqualTo(ExitCode.NOT_FOUND.code());
        assertThat(indexed.output()).contains("provider io.walstash.storage.fs.NoSuchProvider not found");

        Files.write(copy.resolve("lib/extra.jar"), EMPTY_ZIP);
        assertThat(fetch(copy, settings).output()).as("a jar not on the class path")
                .contains("provider io.walstash.storage.fs.NoSuchProvider not found");

        Path xz;
        try (Stream<Path> listed = Files.list(copy.resolve("lib"))) {
            xz = listed.filter(p -> p.getFileName().toString().matches("xz-.*\\.jar")).findFirst().orElseThrow();
        }
        Files.write(xz, EMPTY_ZIP, java.nio.file.StandardOpenOption.APPEND); // same name, another size
        Processes.Outcome searched = fetch(copy, settings);
        assertThat(searched.exitCode()).as(searched.output()).isEqualTo(ExitCode.NOT_FOUND.code());
    }
}
