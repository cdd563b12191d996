package io.walstash.compression;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import io.walstash.core.codec.Codec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Brotli ({@code brotli}, objects end in {@code .br}) through brotli4j, the reference C library,
 * at quality {@value #QUALITY} with a 4 MiB window. WAL-G writes quality 3 with the same library
 * (through cbrotli). On 16 MiB of WAL-like test data quality 4 took about as long as 3, and
 * quality 5 twice as long for 2% smaller output.
 *
 * <p>Decoding goes through {@link BrotliDecoderStream}, not brotli4j's {@code BrotliInputStream},
 * which fails on valid streams that expand a lot at their end, such as an idle (all-zero) WAL
 * segment.
 *
 * <p>The format has no checksum: a corrupt object may decode to wrong bytes without an error
 * (truncation is always detected). walstash's own checksum of the plain bytes catches that.
 *
 * <p>The native library, shipped for Linux on x86-64 and AArch64, loads on the first
 * {@link #compress} or {@link #decompress}; when it cannot load, those methods throw an
 * {@link IOException} that names the platform. Instances are immutable and thread-safe.
 */
public final class BrotliCodec implements Codec {
    /** Brotli quality, 0 (fastest) to 11. */
    public static final int QUALITY = 4;
    /** Base-2 logarithm of the window: 4 MiB, brotli's default. */
    private static final int WINDOW_BITS = 22;

    private final Runnable nativeLoader;

    public BrotliCodec() {
        this(new LoadBrotli4j());
    }

    /** For tests: {@code nativeLoader} throws a {@link LinkageError} when the library is missing. */
    BrotliCodec(Runnable nativeLoader) {
        this.nativeLoader = Objects.requireNonNull(nativeLoader, "nativeLoader");
    }

    @Override
    public String name() {
        return "brotli";
    }

    @Override
    public String fileExtension() {
        return "br";
    }

    @Override
    public OutputStream compress(OutputStream out) throws IOException {
        Objects.requireNonNull(out, "out");
        loadNative();
        try {
            return new EncoderStream("Brotli", out, Brotli4j.encoder(out));
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start brotli compression", e);
        }
    }

    @Override
    public InputStream decompress(InputStream in) throws IOException {
        InputStream source = Streams.nonEmpty(in, "brotli");
        loadNative();
        try {
            return new DecoderStream("Brotli", in, new BrotliDecoderStream(source, Streams.BUFFER_SIZE));
        } catch (RuntimeException e) {
            throw Streams.failure("cannot start brotli decompression", e);
        }
    }

    private void loadNative() throws IOException {
        try {
            nativeLoader.run();
        } catch (LinkageError e) {
            throw Streams.nativeUnavailable("brotli", "brotli4j", e);
        }
    }

    @Override
    public String toString() {
        return "brotli(quality " + QUALITY + ")";
    }

    /**
     * Loads brotli4j's native library. Brotli4jLoader does so in its static initializer, which
     * runs when this is first run. A class rather than a lambda, which would cost its bootstrap.
     */
    private static final class LoadBrotli4j implements Runnable {
        @Override
        public void run() {
            Brotli4jLoader.ensureAvailability();
        }
    }

    /** The only code that names brotli4j's encoder classes (see ZstdCodec). */
    private static final class Brotli4j {
        static OutputStream encoder(OutputStream out) throws IOException {
            Encoder.Parameters parameters =
                    new Encoder.Parameters().setQuality(QUALITY).setWindow(WINDOW_BITS);
            return new BrotliOutputStream(out, parameters, Streams.BUFFER_SIZE);
        }
    }
}
