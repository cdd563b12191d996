package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.XZInputStream;

class CodecDiscoveryTest {

    @Test
    void serviceLoaderFindsEveryCodecByNameAndExtension() {
        Codecs codecs = Codecs.installed();

        Map<String, String> extensions = codecs.all().stream()
                .collect(Collectors.toMap(Codec::name, Codec::fileExtension));
        assertThat(extensions).containsExactlyInAnyOrderEntriesOf(Map.of(
                "zstd", "zst", "lz4", "lz4", "gzip", "gz", "xz", "xz", "lzma", "lzma", "brotli", "br",
                "none", "raw"));
        extensions.forEach((name, extension) -> {
            assertThat(codecs.byName(name).name()).isEqualTo(name);
            assertThat(codecs.byName(name.toUpperCase())).isSameAs(codecs.byName(name));
            assertThat(codecs.byExtension(extension)).get().extracting(Codec::name).isEqualTo(name);
        });
    }

    @Test
    void anUnknownNameFailsListingTheKnownOnes() {
        assertThatThrownBy(() -> Codecs.installed().byName("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown compression 'nope' (known: brotli, gzip, lz4, lzma, none, xz, zstd)");
    }

    /**
     * ServiceLoader creates every codec at CLI start-up, so creating one must load no native
     * library, nor, to keep start-up short, any class of the compression libraries at all: in a
     * class loader of their own, the codecs are created and asked their names, and no library
     * class gets loaded.
     */
    @Test
    void creatingTheCodecsLoadsNoLibraryClass() throws Exception {
        Set<String> loaded = ConcurrentHashMap.newKeySet();
        List<String> names = new ArrayList<>();
        try (URLClassLoader isolated = new RecordingClassLoader(jarsOf(Codec.class, ZstdCodec.class,
                ZstdInputStreamNoFinalizer.class, LZ4FrameInputStream.class, GzipCompressorInputStream.class,
                XZInputStream.class, Brotli4jLoader.class), loaded)) {
            @SuppressWarnings("unchecked")
            Class<Object> service = (Class<Object>) isolated.loadClass(Codec.class.getName());
            for (Object codec : ServiceLoader.load(service, isolated)) {
                names.add(codec.toString());
                service.getMethod("name").invoke(codec);
                service.getMethod("fileExtension").invoke(codec);
            }
        }

        assertThat(names).hasSize(7);
        assertThat(loaded).contains(ZstdCodec.class.getName(), BrotliCodec.class.getName());
        assertThat(loaded).filteredOn(name -> name.startsWith("com.github.luben.")
                || name.startsWith("com.aayushatharva.") || name.startsWith("net.jpountz.")
                || name.startsWith("org.tukaani.") || name.startsWith("org.apache.commons.")).isEmpty();
    }

    private static URL[] jarsOf(Class<?>... classes) {
        return Arrays.stream(classes)
                .map(c -> c.getProtectionDomain().getCodeSource().getLocation())
                .distinct().toArray(URL[]::new);
    }

    /** Loads the given jars itself, never through the application class loader. */
    private static final class RecordingClassLoader extends URLClassLoader {
        private final Set<String> loaded;

        RecordingClassLoader(URL[] urls, Set<String> loaded) {
            super(urls, ClassLoader.getPlatformClassLoader());
            this.loaded = loaded;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            loaded.add(name);
            return super.loadClass(name, resolve);
        }
    }
}
