package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.crypto.KeyFileSource;
import io.walstash.core.crypto.MasterKeySource;
import java.io.File;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceConfigurationError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's provider index stands in for ServiceLoader's search only while the class path
 * holds exactly the jars it records, in its folder, and only for the system class loader. The
 * index here lists one of core's two master-key sources, so which of the two answered shows; the
 * class path is what {@code java.class.path} says (set here as the launcher's would be, restored
 * after each test).
 */
class ServiceProvidersTest {
    @TempDir
    Path lib;
    private Path index;
    private String testClassPath;

    @BeforeEach
    void anIndexOfOneJar() throws IOException {
        Files.write(lib.resolve("walstash-core-1.jar"), new byte[1234]);
        index = lib.resolve("providers.index");
        Files.writeString(index, "# written by the build\n"
                + "jar walstash-core-1.jar 1234\n"
                + "provider " + MasterKeySource.class.getName() + " " + KeyFileSource.class.getName() + "\n");
        System.setProperty(ServiceProviders.INDEX_PROPERTY, index.toString());
        testClassPath = System.getProperty("java.class.path");
        classPath("walstash-core-1.jar");
    }

    @AfterEach
    void noIndex() {
        System.clearProperty(ServiceProviders.INDEX_PROPERTY);
        System.setProperty("java.class.path", testClassPath);
    }

    /** Sets java.class.path to these jars of lib/ (as the launcher's -cp expands). */
    private void classPath(String... jars) {
        StringBuilder path = new StringBuilder();
        for (String jar : jars) {
            path.append(path.length() == 0 ? "" : File.pathSeparator).append(lib.resolve(jar));
        }
        System.setProperty("java.class.path", path.toString());
    }

    private static List<MasterKeySource> sources(ClassLoader loader) {
        return ServiceProviders.load(MasterKeySource.class, loader);
    }

    @Test
    void theIndexAnswersForTheSystemClassLoader() {
        assertThat(sources(ClassLoader.getSystemClassLoader())).singleElement().isInstanceOf(KeyFileSource.class);
    }

    @Test
    void withoutTheIndexServiceLoaderSearches() {
        System.clearProperty(ServiceProviders.INDEX_PROPERTY);

        assertThat(sources(ClassLoader.getSystemClassLoader())).hasSize(2);
    }

    @Test
    void aJarAddedReplacedOrRemovedSinceMeansServiceLoaderSearches() throws IOException {
        Files.write(lib.resolve("plugin.jar"), new byte[10]);
        classPath("walstash-core-1.jar", "plugin.jar");
        assertThat(sources(ClassLoader.getSystemClassLoader())).as("added").hasSize(2);

        classPath("walstash-core-1.jar");
        Files.write(lib.resolve("walstash-core-1.jar"), new byte[1235]);
        reread();
        assertThat(sources(ClassLoader.getSystemClassLoader())).as("replaced").hasSize(2);

        Files.delete(lib.resolve("walstash-core-1.jar"));
        reread();
        assertThat(sources(ClassLoader.getSystemClassLoader())).as("removed").hasSize(2);

        Files.write(lib.resolve("walstash-core-1.jar"), new byte[1234]);
        reread();
        assertThat(sources(ClassLoader.getSystemClassLoader())).as("as recorded again").hasSize(1);
    }

    /** A storage scheme's index records only the jars its class path has: the others in lib/ do not matter. */
    @Test
    void jarsOfTheFolderThatAreNotOnTheClassPathDoNotMatter() throws IOException {
        Files.write(lib.resolve("another-adapter.jar"), new byte[10]);
        reread();
        assertThat(sources(ClassLoader.getSystemClassLoader())).hasSize(1);
    }

    @Test
    void aClassPathEntryOutsideTheIndexsFolderMeansServiceLoaderSearches() throws IOException {
        Path elsewhere = Files.createDirectories(lib.resolve("elsewhere"));
        Files.write(elsewhere.resolve("walstash-core-1.jar"), new byte[1234]);
        System.setProperty("java.class.path", elsewhere.resolve("walstash-core-1.jar").toString());
        reread();
        assertThat(sources(ClassLoader.getSystemClassLoader())).hasSize(2);
    }

    @Test
    void anotherClassLoaderGetsServiceLoadersSearch() throws IOException {
        try (URLClassLoader embedding = new URLClassLoader(new URL[0], ClassLoader.getSystemClassLoader())) {
            assertThat(sources(embedding)).hasSize(2);
        }
    }

    @Test
    void aServiceTheIndexDoesNotListIsSearchedFor() {
        assertThat(ServiceProviders.load(SettingDeclarations.class, ClassLoader.getSystemClassLoader()))
                .extracting(d -> d.getClass().getSimpleName()).contains("CoreSettings");
    }

    @Test
    void aMalformedLineOrAProviderOfAnotherTypeIsAnError() throws IOException {
        reread();
        Files.writeString(index, "jar walstash-core-1.jar 1234\nprovider only-two-fields\n");
        assertThatThrownBy(() -> sources(ClassLoader.getSystemClassLoader()))
                .isInstanceOf(ServiceConfigurationError.class).hasMessageContaining("'provider only-two-fields'");

        reread();
        Files.writeString(index, "jar walstash-core-1.jar 1234\nprovider " + MasterKeySource.class.getName() + " "
                + String.class.getName() + "\n");
        assertThatThrownBy(() -> sources(ClassLoader.getSystemClassLoader()))
                .isInstanceOf(ServiceConfigurationError.class).hasMessageContaining("java.lang.String is not a subtype");
    }

    private int copies;

    /** An index is read once per file name: the same index under a new name is read again. */
    private void reread() throws IOException {
        Path copy = lib.resolve("providers-" + ++copies + ".index");
        Files.copy(index, copy);
        index = copy;
        System.setProperty(ServiceProviders.INDEX_PROPERTY, index.toString());
    }
}
