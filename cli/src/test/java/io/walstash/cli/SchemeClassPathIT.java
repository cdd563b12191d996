package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.storage.azure.AzuriteServer;
import io.walstash.storage.gcs.FakeGcsServer;
import io.walstash.storage.s3.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's class path per storage scheme: where the command line or the environment names the
 * storage, the JVM gets only the jars that scheme needs (lib/providers-&lt;scheme&gt;.index) and a
 * command on it works end to end against the real server for the scheme (s3proxy, our GCS JSON-API
 * server, Azurite); where the launcher cannot tell, the whole of lib/.
 */
class SchemeClassPathIT {
    @RegisterExtension
    static final AzuriteServer AZURITE = new AzuriteServer();

    private static final String SEGMENT = "000000010000000000000007";
    private static final List<String> ADAPTERS = List.of("walstash-storage-s3-", "walstash-storage-gcs-",
            "walstash-storage-azure-");

    @TempDir
    Path dir;

    /** What a launched command ran on: its class path's jar names and the provider index it was given. */
    private record Ran(Processes.Outcome outcome, List<String> classPath, String providers) {
    }

    /** Runs the launcher with {@code arguments}, the JVM listing its system properties on stderr. */
    private Ran run(Map<String, String> settings, String... arguments) throws Exception {
        Map<String, String> environment = new HashMap<>(settings);
        environment.put("WALSTASH_JAVA_OPTS", "-XshowSettings:properties");
        List<String> command = new ArrayList<>(List.of(Launcher.path().toString()));
        command.addAll(List.of(arguments));
        Processes.Outcome outcome = Processes.runAllowingFailure(command, Launcher.withCache(environment),
                Duration.ofMinutes(5));
        List<String> classPath = new ArrayList<>();
        String providers = null;
        boolean inClassPath = false;
        for (String line : outcome.output().lines().toList()) {
            Matcher property = Pattern.compile("^    ([a-z0-9.]+) = (.*)$").matcher(line);
            if (property.matches()) {
                inClassPath = property.group(1).equals("java.class.path");
                if (inClassPath) {
                    classPath.add(Path.of(property.group(2)).getFileName().toString());
                } else if (property.group(1).equals("walstash.providers")) {
                    providers = Path.of(property.group(2)).getFileName().toString();
                }
            } else if (inClassPath && line.startsWith("        ")) {
                classPath.add(Path.of(line.strip()).getFileName().toString());
            } else {
                inClassPath = false;
            }
        }
        assertThat(classPath).as(outcome.output()).isNotEmpty();
        return new Ran(outcome, classPath, providers);
    }

    /** Pushes a segment and fetches it back on {@code settings}'s storage, each a JVM of its own; returns the push. */
    private Ran pushAndFetch(Map<String, String> settings, String... options) throws Exception {
        Path wal = Files.createDirectories(dir.resolve("pg_wal"));
        Path segment = WalSegmentFiles.segment(wal, SEGMENT, 7301234567890123456L, 1);
        List<String> push = new ArrayList<>(List.of("wal-push"));
        push.addAll(List.of(options));
        push.add(segment.toString());
        Ran pushed = run(settings, push.toArray(String[]::new));
        assertThat(pushed.outcome().exitCode()).as(pushed.outcome().output()).isZero();

        Path restored = Files.createDirectories(dir.resolve("restored")).resolve(SEGMENT);
        List<String> fetch = new ArrayList<>(List.of("wal-fetch"));
        fetch.addAll(List.of(options));
        fetch.addAll(List.of(SEGMENT, restored.toString()));
        Ran fetched = run(settings, fetch.toArray(String[]::new));
        assertThat(fetched.outcome().exitCode()).as(fetched.outcome().output()).isZero();
        assertThat(Files.mismatch(segment, restored)).isEqualTo(-1L);
        assertThat(fetched.classPath()).isEqualTo(pushed.classPath());
        Files.delete(restored);
        return pushed;
    }

    private static void onlyItsOwnAdapter(Ran ran, String scheme, String adapter) {
        assertThat(ran.providers()).isEqualTo("providers-" + scheme + ".index");
        assertThat(ran.classPath()).startsWith("walstash-cli-" + version(ran), "walstash-core-" + version(ran))
                .anyMatch(jar -> jar.startsWith("walstash-storage-fs-"));
        for (String other : ADAPTERS) {
            if (other.equals(adapter)) {
                assertThat(ran.classPath()).anyMatch(jar -> jar.startsWith(other));
            } else {
                assertThat(ran.classPath()).noneMatch(jar -> jar.startsWith(other));
            }
        }
    }

    /** "0.1.0-SNAPSHOT.jar" of walstash-cli-0.1.0-SNAPSHOT.jar. */
    private static String version(Ran ran) {
        return ran.classPath().get(0).substring("walstash-cli-".length());
    }

    private static int libJars() throws Exception {
        try (var listed = Files.list(Launcher.path().getParent().getParent().resolve("lib"))) {
            return (int) listed.filter(p -> p.getFileName().toString().endsWith(".jar")).count();
        }
    }

    /** Each class path has class-data archives of its own, named after the scheme. */
    private static void archivedFor(String scheme) throws Exception {
        Path archives = Launcher.classDataArchives(Path.of(Launcher.withCache(Map.of()).get("XDG_CACHE_HOME")));
        assertThat(archives.resolve("wal-push-" + scheme + ".jsa")).isRegularFile();
    }

    @Test
    void aFileRepositoryRunsOnTheJarsEveryCommandNeedsOnly() throws Exception {
        Ran pushed = pushAndFetch(Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString()));

        onlyItsOwnAdapter(pushed, "file", null);
        assertThat(pushed.classPath()).hasSizeLessThan(40).anyMatch(jar -> jar.startsWith("tink-"))
                .noneMatch(jar -> jar.startsWith("sdk-core-") || jar.startsWith("kotlin-stdlib-"));
        archivedFor("file");
    }

    @Test
    void anS3RepositoryNamedByWalGsVariableRunsOnTheS3AdapterAndItsSdk() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.startInMemory()) {
            String bucket = s3.newBucket();
            Map<String, String> settings = new HashMap<>(s3.settings());
            settings.put("WALG_S3_PREFIX", "s3://" + bucket + "/pg");

            Ran pushed = pushAndFetch(settings);

            onlyItsOwnAdapter(pushed, "s3", "walstash-storage-s3-");
            assertThat(pushed.classPath()).anyMatch(jar -> jar.startsWith("sdk-core-")).hasSizeLessThan(libJars() / 2);
            assertThat(s3.client().listObjectsV2(r -> r.bucket(bucket)).contents()).isNotEmpty();
            archivedFor("s3");
        }
    }

    @Test
    void aGcsRepositoryRunsOnTheGcsAdapterAndItsLibraries() throws Exception {
        try (FakeGcsServer gcs = FakeGcsServer.start()) {
            gcs.createBucket("scheme-class-path");
            Map<String, String> settings = Map.of("WALSTASH_STORAGE", "gs://scheme-class-path/pg",
                    "WALSTASH_GCS_ENDPOINT", gcs.endpoint().toString(), "WALSTASH_GCS_PROJECT", "test-project");

            Ran pushed = pushAndFetch(settings);

            onlyItsOwnAdapter(pushed, "gs", "walstash-storage-gcs-");
            assertThat(gcs.objectNames("scheme-class-path")).isNotEmpty();
        }
    }

    @Test
    void anAzureRepositoryRunsOnTheAzureAdapterAndItsLibraries() throws Exception {
        Map<String, String> settings = new HashMap<>(AZURITE.settings());
        settings.put("WALG_AZ_PREFIX", "azure://scheme-class-path/pg");
        Ran created = run(settings, "check", "--create-bucket");
        assertThat(created.outcome().exitCode()).as(created.outcome().output()).isZero();

        Ran pushed = pushAndFetch(settings);

        onlyItsOwnAdapter(pushed, "azure", "walstash-storage-azure-");
        assertThat(created.classPath()).isEqualTo(pushed.classPath());
    }

    /**
     * --storage on the command line wins over the environment, as it does in the configuration; a
     * storage only a config file names, or several different ones in the environment, leave the
     * choice to the JVM with the whole of lib/.
     */
    @Test
    void whereTheLauncherCannotTellTheSchemeTheClassPathIsTheWholeOfLib() throws Exception {
        String repository = dir.resolve("repo").toUri().toString();
        Ran option = pushAndFetch(Map.of("WALG_S3_PREFIX", "s3://not-this-one/pg"), "--storage", repository);
        onlyItsOwnAdapter(option, "file", null);

        Path config = dir.resolve("walstash.env");
        Files.writeString(config, "WALSTASH_STORAGE=" + repository + "\n");
        Ran configFile = pushAndFetch(Map.of("WALSTASH_CONFIG", config.toString()));
        assertThat(configFile.providers()).isEqualTo("providers.index");
        assertThat(configFile.classPath()).hasSizeGreaterThanOrEqualTo(libJars())
                .anyMatch(jar -> jar.startsWith("walstash-storage-azure-"));

        Ran several = run(Map.of("WALSTASH_STORAGE", repository, "WALG_AZ_PREFIX", "azure://other/pg"), "status");
        assertThat(several.providers()).isEqualTo("providers.index");
        assertThat(several.outcome().exitCode()).isNotZero();
        assertThat(several.outcome().output()).contains("sets several storages (WALSTASH_STORAGE, WALG_AZ_PREFIX)");
    }

    /** The launcher reads the storage from the environment under the names the configuration knows. */
    @Test
    void theLauncherReadsTheStorageSettingsNames() throws Exception {
        String script = Files.readString(Launcher.path());
        Matcher names = Pattern.compile("(?m)^storage_names=\"([A-Z0-9_ ]+)\"$").matcher(script);
        assertThat(names.find()).as("storage_names in the launcher").isTrue();
        assertThat(List.of(names.group(1).split(" "))).isEqualTo(CoreSettings.STORAGE.names());
    }
}
