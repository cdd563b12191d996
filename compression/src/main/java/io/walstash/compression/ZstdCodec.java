package io.walstash.compression;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import com.github.luben.zstd.util.ZstdVersion;
import io.walstash.core.codec.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Zstandard ({@code zstd}, objects end in {@code .zst}) through zstd-jni, at level 3 by default
 * like WAL-G. Each compressed stream is one frame with a content checksum; the decoder reads any
 * sequence of standard and skippable frames, with or without checksum, so objects written by
 * WAL-G (libzstd through DataDog/zstd, no checksum) and by the {@code zstd} tool decode. Frames
 * that need a window larger than 128 MiB ({@code zstd --long=28} and up) are refused, as libzstd
 * does by default.
 *
 * <p>The native library loads on the first {@link #compress} or {@link #decompress}, not when
 * the codec is created; when it cannot load those methods throw an {@link IOException} that names
 * the platform. Instances are immutable and thread-safe.
 */
public final class ZstdCodec implements Codec {
    /** WAL-G's level: fast (hundreds of MB/s) and already a good ratio on WAL. */
    public static final int DEFAULT_LEVEL = 3;
    /** The highest level zstd accepts. */
    public static final int MAX_LEVEL = 22;

    private final int level;

    /** The codec at {@link #DEFAULT_LEVEL}. */
    public ZstdCodec() {
        this(DEFAULT_LEVEL);
    }

    /** The codec at {@code level}, 1 (fastest) to {@link #MAX_LEVEL}. */
    public ZstdCodec(int level) {
        if (level < 1 || level > MAX_LEVEL) {
            throw new IllegalArgumentException("zstd level must be 1.." + MAX_LEVEL + ", not " + level);
        }
        this.level = level;
    }

    @Override
    public String name() {
        return "zstd";
    }

    @Override
    public String fileExtension() {
        return "zst";
    }

    public int level() {
        return level;
    }

    /** Level 1, pgBackRest's level for zst: less CPU than level 3, for somewhat larger objects. */
    @Override
    public Codec faster() {
        return level > 1 ? new ZstdCodec(1) : this;
    }

    @Override
    public OutputStream compress(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        try {
            return new EncoderStream("Zstd", out, ZstdJni.encoder(out, level));
        } catch (LinkageError e) {
            throw Streams.nativeUnavailable("zstd", "zstd-jni", e);
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start zstd compression", e);
        }
    }

    @Override
    public InputStream decompress(InputStream in) throws IOException {
        InputStream source = Streams.nonEmpty(in, "zstd");
        try {
            return new DecoderStream("Zstd", in, ZstdJni.decoder(source));
        } catch (LinkageError e) {
            throw Streams.nativeUnavailable("zstd", "zstd-jni", e);
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start zstd decompression", e);
        }
    }

    @Override
    public String toString() {
        return "zstd(level " + level + ")";
    }

    /**
     * The only code that names zstd-jni's classes: the JVM loads them when it first runs this
     * class, not when it loads (and verifies) the codec at start-up.
     */
    private static final class ZstdJni {
        static {
            useInstalledLibrary();
        }

        /**
         * zstd-jni copies its native library out of its jar into a new temporary file on every
         * start (about 45 ms of a one-shot command, and the file is not owner-only). The launcher's
         * build extracts it once into lib/native/&lt;os&gt;/&lt;arch&gt;/ and names that folder in
         * {@code walstash.native}; the file is used when it is there under the name of the zstd-jni
         * version on the class path (a jar replaced without the folder is not paired with an old
         * library). Otherwise, and when {@code ZstdNativePath} is set already, zstd-jni does as it
         * always does.
         */
        private static void useInstalledLibrary() {
            String folder = System.getProperty("walstash.native");
            if (folder == null || System.getProperty("ZstdNativePath") != null
                    || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
                return;
            }
            String version;
            try {
                version = String.valueOf(ZstdVersion.class.getField("VERSION").get(null)); // this jar's, not the compiled-in one
            } catch (ReflectiveOperationException | RuntimeException e) {
                return;
            }
            Path library = Path.of(folder, "linux", System.getProperty("os.arch", ""), "libzstd-jni-" + version + ".so");
            if (Files.isRegularFile(library)) {
                System.setProperty("ZstdNativePath", library.toString());
            }
        }

        static OutputStream encoder(OutputStream out, int level) throws IOException {
            // recycled buffers: a restore or backup opens one stream per file, thousands of them
            ZstdOutputStreamNoFinalizer encoder = new ZstdOutputStreamNoFinalizer(out, RecyclingBufferPool.INSTANCE, level);
            try {
                encoder.setChecksum(true);
            } catch (IOException | RuntimeException e) {
                try {
                    encoder.closeWithoutClosingParentStream(); // frees the native context
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            return encoder;
        }

        static InputStream decoder(InputStream source) throws IOException {
            return new ZstdInputStreamNoFinalizer(source, RecyclingBufferPool.INSTANCE);
        }
    }
}
