package io.walstash.compression;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** Helpers the codecs share. */
final class Streams {
    /** Buffer size between the codecs and the streams they wrap. */
    static final int BUFFER_SIZE = 64 * 1024;

    /**
     * The most memory, in KiB, that an xz or lzma decoder may take (256 MiB): xz -9 needs 65 MiB,
     * WAL-G's lzma 8 MiB. A corrupt .lzma header, which has no checksum, can ask for 4 GiB.
     */
    static final int LZMA_MEMORY_LIMIT_KIB = 256 * 1024;

    private Streams() {
    }

    /**
     * Buffers {@code in} and checks that it holds at least one byte: no compressed format is
     * empty, and some decoders (zstd-jni) would otherwise report an empty object as empty data.
     * A stream the caller already buffered is used as it is: a restore decodes one stream per
     * file, and a second 64 KiB buffer allocated (and zeroed) for each of a thousand small files
     * was the largest item of its fetch threads' own Java time (JFR, scale-30 restore).
     */
    static BufferedInputStream nonEmpty(InputStream in, String format) throws IOException {
        Objects.requireNonNull(in, "in");
        BufferedInputStream buffered = in instanceof BufferedInputStream already ? already
                : new BufferedInputStream(in, BUFFER_SIZE);
        buffered.mark(1);
        if (buffered.read() < 0) {
            throw new EOFException("no " + format + " data: the input is empty");
        }
        buffered.reset();
        return buffered;
    }

    static IOException failure(String message, RuntimeException cause) {
        String detail = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName();
        return new IOException(message + ": " + detail, cause);
    }

    /** The error for a native library that cannot load on this machine. */
    static IOException nativeUnavailable(String format, String library, Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return new IOException(format + " is not available on this platform (" + platform() + "): "
                + library + " could not load its native library: " + root, cause);
    }

    /** The operating system and architecture, such as {@code Linux/amd64}. */
    static String platform() {
        return System.getProperty("os.name") + "/" + System.getProperty("os.arch");
    }

    /** Closes {@code stream} after {@code primary} was thrown, keeping any new error as suppressed. */
    static void closeAfterFailure(Closeable stream, Throwable primary) {
        try {
            stream.close();
        } catch (IOException | RuntimeException e) {
            if (e != primary) {
                primary.addSuppressed(e);
            }
        }
    }
}
