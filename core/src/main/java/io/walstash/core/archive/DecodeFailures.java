package io.walstash.core.archive;

import io.walstash.core.codec.Codec;
import io.walstash.core.io.BlockFilterInputStream;
import io.walstash.core.storage.StorageFailure;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reports a codec's failure to decode, part-way through an object, as a corrupt object naming its
 * key; storage failures and checksum mismatches pass unchanged, so a broken connection is not
 * mistaken for a damaged object.
 */
public final class DecodeFailures extends BlockFilterInputStream {
    private final String key;
    private final Codec codec;

    private DecodeFailures(InputStream decoded, String key, Codec codec) {
        super(decoded);
        this.key = key;
        this.codec = codec;
    }

    /** {@code decoded}, the output of {@code codec} reading object {@code key}, with decode failures translated. */
    public static InputStream translating(InputStream decoded, String key, Codec codec) {
        return new DecodeFailures(decoded, key, codec);
    }

    /** Starts decoding {@code raw} (object {@code key}); a codec that rejects the first bytes is a corrupt object. */
    public static InputStream decode(InputStream raw, String key, Codec codec) throws IOException {
        InputStream decoded;
        try {
            decoded = codec.decompress(raw);
        } catch (CorruptObjectException | StorageFailure e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptObjectException("object " + key + " is not valid " + codec.name() + " data: "
                    + e.getMessage(), e);
        }
        return translating(decoded, key, codec);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return in.read(b, off, len);
        } catch (CorruptObjectException | StorageFailure e) {
            throw e;
        } catch (IOException e) {
            throw new CorruptObjectException("object " + key + " does not decode as " + codec.name() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "DecodeFailures(" + in + ")";
    }
}
