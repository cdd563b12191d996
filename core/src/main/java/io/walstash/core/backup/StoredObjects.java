package io.walstash.core.backup;

import io.walstash.core.io.CountingInputStream;
import io.walstash.core.io.Digests;
import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.CompressingInputStream;
import io.walstash.core.storage.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Backup objects: the codec's payload of the plain bytes, nothing else. Unlike WAL objects they
 * carry no header, because a file that changes while it is read (as data files do during a backup)
 * can't be hashed before it is uploaded; the manifest, written after every object, records each
 * object's plain length and SHA-256, and a fetch checks them before using the bytes.
 */
final class StoredObjects {
    private StoredObjects() {
    }

    record Stored(long plainSize, String sha256, long storedSize) {
    }

    /** Uploads {@code plain} compressed under {@code key}; fails if the key is taken. */
    static Stored put(Storage storage, String key, InputStream plain, Codec codec) throws IOException {
        DigestingInputStream digesting = new DigestingInputStream(plain);
        try (CountingInputStream stored = new CountingInputStream(new CompressingInputStream(digesting, codec))) {
            if (!storage.createIfAbsent(key, stored)) {
                throw new IOException("object " + key + " already exists in " + storage.location()
                        + "; a backup of that name is being written by someone else");
            }
            return new Stored(digesting.count(), digesting.hex(), stored.count());
        }
    }

    /** Opens the plain bytes of {@code key}; reading past the end fails unless length and SHA-256 match. */
    static InputStream open(Storage storage, String key, Codec codec, long plainSize, String sha256) throws IOException {
        InputStream raw = storage.read(key);
        InputStream decoded;
        try {
            decoded = codec.decompress(new java.io.BufferedInputStream(raw, 256 * 1024));
        } catch (IOException e) {
            raw.close();
            throw new CorruptObjectException("object " + key + " is not valid " + codec.name() + " data: " + e.getMessage(), e);
        }
        return new CheckedInputStream(decoded, key, codec, plainSize, sha256);
    }


    static final class DigestingInputStream extends FilterInputStream {
        private final MessageDigest digest = Digests.sha256();
        private long count;

        DigestingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            }
            return n;
        }

        long count() {
            return count;
        }

        String hex() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }


    /** Fails at the end of the stream (before the consumer sees it) when length or digest differ. */
    private static final class CheckedInputStream extends FilterInputStream {
        private final MessageDigest digest = Digests.sha256();
        private final String key;
        private final Codec codec;
        private final long expectedSize;
        private final String expectedSha;
        private long count;
        private boolean checked;

        CheckedInputStream(InputStream in, String key, Codec codec, long expectedSize, String expectedSha) {
            super(in);
            this.key = key;
            this.codec = codec;
            this.expectedSize = expectedSize;
            this.expectedSha = expectedSha;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (CorruptObjectException e) {
                throw e;
            } catch (IOException e) {
                if (e instanceof io.walstash.core.storage.StorageFailure) {
                    throw e;
                }
                throw new CorruptObjectException("object " + key + " does not decode as " + codec.name() + ": "
                        + e.getMessage(), e);
            }
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
                if (count > expectedSize) {
                    throw mismatch();
                }
            } else if (n < 0 && !checked) {
                if (count != expectedSize || !HexFormat.of().formatHex(digest.digest()).equals(expectedSha)) {
                    throw mismatch();
                }
                checked = true;
            }
            return n;
        }

        private CorruptObjectException mismatch() {
            return new CorruptObjectException("object " + key + " fails its checksum: the manifest records "
                    + expectedSize + " bytes with sha256 " + expectedSha + ", read " + count + " bytes that differ");
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[(int) Math.min(n, 8192)];
            return Math.max(read(buffer, 0, buffer.length), 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
