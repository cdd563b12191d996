package io.walstash.core.archive;

import io.walstash.core.codec.Codec;
import io.walstash.core.io.BlockFilterInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes stored bytes while telling two failures apart: reading the stored bytes failed (storage
 * or disk: passed on unchanged, for a caller to retry), or they do not decode (bad compressed data,
 * a truncated body: a {@link CorruptObjectException}, which no retry will fix).
 */
public final class Decoding {
    private Decoding() {
    }

    /** The stored bytes, remembering whether reading them ever failed. Put it beneath any buffering. */
    public static Source source(InputStream raw) {
        return new Source(raw);
    }

    /**
     * {@code stored} (which reads from {@code source}) decoded with {@code codec}. A failure to
     * decode, at the start or midway, is a {@link CorruptObjectException} naming {@code description}
     * ("object wal/…", "prefetched file …").
     */
    public static InputStream decode(InputStream stored, Source source, Codec codec, String description)
            throws IOException {
        InputStream decoded;
        try {
            decoded = codec.decompress(stored);
        } catch (CorruptObjectException e) {
            throw e; // from beneath the codec (a decrypting layer), already naming the object
        } catch (IOException e) {
            if (source.failed) {
                throw e;
            }
            throw new CorruptObjectException(description + " is not valid " + codec.name() + " data: " + firstLine(e), e);
        }
        return new Decoded(decoded, source, codec, description);
    }

    /**
     * {@code plain}, failing with a {@link CorruptObjectException} naming {@code description} as soon
     * as it yields more than {@code limit} bytes: stored data must not decode into more than the file
     * it stands for can be.
     */
    public static InputStream limited(InputStream plain, long limit, String description) {
        return new Limited(plain, limit, description);
    }

    private static final class Limited extends BlockFilterInputStream {
        private final long limit;
        private final String description;
        private long count;

        Limited(InputStream in, long limit, String description) {
            super(in);
            this.limit = limit;
            this.description = description;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
                if (count > limit) {
                    throw new CorruptObjectException(description + " decodes to more than " + limit
                            + " bytes, more than the WAL file it stands for can hold");
                }
            }
            return n;
        }

        @Override
        public String toString() {
            return "Limited(" + in + ")";
        }
    }

    private static String firstLine(IOException e) {
        String message = e.getMessage();
        return message == null ? e.toString() : message.lines().findFirst().orElse(message);
    }

    /** See {@link #source}. */
    public static final class Source extends FilterInputStream {
        private volatile boolean failed;

        private Source(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }

    private static final class Decoded extends BlockFilterInputStream {
        private final Source source;
        private final Codec codec;
        private final String description;

        Decoded(InputStream decoded, Source source, Codec codec, String description) {
            super(decoded);
            this.source = source;
            this.codec = codec;
            this.description = description;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (CorruptObjectException e) {
                throw e;
            } catch (IOException e) {
                if (source.failed) {
                    throw e;
                }
                // first line only: Tink's authentication failure appends a multi-line dump of its state
                throw new CorruptObjectException(description + " does not decode as " + codec.name() + ": "
                        + firstLine(e), e);
            }
        }

        @Override
        public String toString() {
            return "Decoding(" + in + ")";
        }
    }
}
