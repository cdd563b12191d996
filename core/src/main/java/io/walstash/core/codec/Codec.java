package io.walstash.core.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A compression format. Found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.walstash.core.codec.Codec}; the public no-argument constructor does
 * nothing expensive (native libraries load on first use).
 */
public interface Codec {

    /** The name users configure, such as {@code zstd}; lower case. */
    String name();

    /** The file extension of stored objects, without the dot, such as {@code zst}. */
    String fileExtension();

    /** Wraps {@code out}; closing the returned stream finishes the format and closes {@code out}. */
    OutputStream compress(OutputStream out) throws IOException;

    /** Wraps {@code in}; closing the returned stream closes {@code in}. */
    InputStream decompress(InputStream in) throws IOException;

    /**
     * The same format written with less CPU per byte (a lower level), for WAL that is already
     * piling up: what it writes every reader of this codec decodes, under the same name and
     * extension. This codec itself when it has no faster setting.
     */
    default Codec faster() {
        return this;
    }
}
