package io.walstash.core.backup;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.Decoding;
import io.walstash.core.archive.ObjectHeader;
import io.walstash.core.archive.VerifyingInputStream;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.CompressingInputStream;
import io.walstash.core.io.BlockFilterInputStream;
import io.walstash.core.io.CountingInputStream;
import io.walstash.core.io.Digests;
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
public final class StoredObjects {
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
    public static InputStream open(Storage storage, String key, Codec codec, long plainSize, String sha256) throws IOException {
        Decoding.Source raw = Decoding.source(storage.read(key));
        InputStream decoded;
        try {
            decoded = Decoding.decode(new java.io.BufferedInputStream(raw, 256 * 1024), raw, codec, "object " + key);
        } catch (IOException e) {
            raw.close();
            throw e;
        }
        ObjectHeader expected = new ObjectHeader(plainSize, HexFormat.of().parseHex(sha256));
        return new VerifyingInputStream(decoded, expected, (recorded, read) ->
                new CorruptObjectException("object " + key + " fails its checksum: the manifest records "
                        + recorded.plainLength() + " bytes with sha256 " + recorded.sha256Hex() + ", read "
                        + read.plainLength() + " bytes that differ"));
    }


    /** Opens {@code entry}'s object, checked against the manifest's length and SHA-256 as it is read to the end. */
    public static InputStream open(Storage storage, Codecs codecs, BackupManifest.FileEntry entry) throws IOException {
        return open(storage, entry.objectKey(), codecOf(codecs, entry.objectKey()), entry.plainSize(), entry.sha256());
    }

    /** The codec whose file extension ends {@code key}. */
    static Codec codecOf(Codecs codecs, String key) throws IOException {
        String extension = key.substring(key.lastIndexOf('.') + 1);
        return codecs.byExtension(extension).orElseThrow(() ->
                new IOException("object " + key + " has extension ." + extension + ", which no installed codec writes"
                        + " (installed: " + codecs.names() + ")"));
    }

    static final class DigestingInputStream extends BlockFilterInputStream {
        private final MessageDigest digest = Digests.sha256();
        private long count;

        DigestingInputStream(InputStream in) {
            super(in);
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
}
