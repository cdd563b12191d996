package io.walstash.core.archive.walg;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.io.BlockInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The plain bytes of a libsodium secretstream framed as WAL-G writes it: the 24-byte header, then
 * chunks of {@value #CHUNK} message bytes plus {@link SecretStream#A_BYTES}, the last one shorter
 * (possibly empty) and tagged FINAL. A chunk's bytes are released only once it authenticated.
 *
 * <p>Unlike WAL-G's own reader, the FINAL tag is required: a stream that ends at a chunk boundary
 * without it was truncated, and a truncated WAL segment must not reach {@code pg_wal}. Bytes after
 * the FINAL chunk are refused too. These, a short header and a chunk that fails authentication
 * (wrong key, altered bytes) are {@link CorruptObjectException}s naming {@code description}; a
 * failure to read the encrypted bytes themselves passes unchanged, so a caller can retry it.
 */
final class SecretStreamInputStream extends BlockInputStream {
    /** WAL-G's plaintext chunk (internal/crypto/libsodium: chunkSize). */
    static final int CHUNK = 8192;

    private final InputStream in;
    private final byte[] key;
    private final String description;
    private final byte[] chunk = new byte[CHUNK + SecretStream.A_BYTES];
    private final byte[] plain = new byte[CHUNK];
    private SecretStream stream;
    private int position;
    private int limit;
    private long chunks;
    private boolean finished;

    SecretStreamInputStream(InputStream in, byte[] key, String description) {
        this.in = in;
        this.key = key;
        this.description = description;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (position == limit) {
            if (finished) {
                return -1;
            }
            nextChunk();
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(plain, position, b, off, n);
        position += n;
        return n;
    }

    private void nextChunk() throws IOException {
        if (stream == null) {
            byte[] header = new byte[SecretStream.HEADER_BYTES];
            int n = in.readNBytes(header, 0, header.length);
            if (n < header.length) {
                throw new CorruptObjectException(description + " is too short for WAL-G's libsodium encryption: "
                        + n + " bytes, less than its " + SecretStream.HEADER_BYTES + "-byte header");
            }
            stream = new SecretStream(key, header);
        }
        int n = in.readNBytes(chunk, 0, chunk.length);
        if (n == 0) {
            throw truncated();
        }
        chunks++;
        int tag = stream.pull(chunk, n, plain);
        if (tag < 0) {
            throw new CorruptObjectException(description + " does not decrypt: chunk " + chunks
                    + " of its libsodium stream fails authentication (the configured WAL-G libsodium key is not"
                    + " the one WAL-G encrypted it with, or the object was altered or truncated)");
        }
        position = 0;
        limit = n - SecretStream.A_BYTES;
        if (tag == SecretStream.TAG_FINAL) {
            finished = true;
            stream.destroy();
            if (in.read() >= 0) {
                throw new CorruptObjectException(description + " continues after the final chunk of its libsodium stream");
            }
        } else if (n < chunk.length) {
            // a short chunk is WAL-G's last; one without the FINAL tag means the stream was cut here
            throw truncated();
        }
    }

    private CorruptObjectException truncated() {
        return new CorruptObjectException(description + " ends after " + chunks + " chunks of its libsodium stream"
                + " without the final one: truncated");
    }

    @Override
    public void close() throws IOException {
        if (stream != null) {
            stream.destroy();
        }
        in.close();
    }

    @Override
    public String toString() {
        return "WalGDecrypting(" + in + ")";
    }
}
