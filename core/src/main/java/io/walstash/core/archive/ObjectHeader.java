package io.walstash.core.archive;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The small header walstash writes in front of every stored WAL object: it records the length
 * and SHA-256 of the plain (uncompressed) bytes so that a fetch can verify them before the file
 * is placed, independently of what the backend offers as object metadata.
 *
 * <p>Layout (version 1, 52 bytes, big-endian): the 8 ASCII bytes {@code WALSTASH}, a format
 * version byte (1), a digest algorithm byte (1 = SHA-256), two reserved zero bytes, the plain
 * length as an unsigned 64-bit integer, and the 32-byte digest. The compressed payload follows.
 * Objects written by WAL-G have no header; they are read as payload only.
 */
public record ObjectHeader(long plainLength, byte[] sha256) {
    public static final int LENGTH = 52;
    private static final byte[] MAGIC = "WALSTASH".getBytes(StandardCharsets.US_ASCII);
    private static final byte FORMAT_VERSION = 1;
    private static final byte SHA_256 = 1;

    public ObjectHeader {
        if (plainLength < 0) {
            throw new IllegalArgumentException("negative plain length " + plainLength);
        }
        if (sha256.length != 32) {
            throw new IllegalArgumentException("SHA-256 digest must be 32 bytes, got " + sha256.length);
        }
        sha256 = sha256.clone();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    public String sha256Hex() {
        return HexFormat.of().formatHex(sha256);
    }

    /** Whether {@code other} describes the same plain bytes. */
    public boolean sameContentAs(ObjectHeader other) {
        return plainLength == other.plainLength && Arrays.equals(sha256, other.sha256);
    }

    public byte[] toBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(LENGTH);
        buffer.put(MAGIC).put(FORMAT_VERSION).put(SHA_256).put((byte) 0).put((byte) 0);
        buffer.putLong(plainLength).put(sha256);
        return buffer.array();
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(toBytes());
    }

    /**
     * Reads a header from the start of {@code in}, which must support mark/reset. When the stream
     * does not start with the magic it is reset to its start and empty is returned (a headerless
     * object, such as one WAL-G wrote).
     */
    public static Optional<ObjectHeader> readFrom(InputStream in) throws IOException {
        if (!in.markSupported()) {
            throw new IllegalArgumentException("stream must support mark/reset: " + in);
        }
        in.mark(LENGTH);
        byte[] bytes = in.readNBytes(LENGTH);
        if (bytes.length < MAGIC.length || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            in.reset();
            return Optional.empty();
        }
        return Optional.of(parse(bytes));
    }

    /** Parses a complete header; fails when the bytes are not one walstash can read. */
    public static ObjectHeader parse(byte[] bytes) throws IOException {
        if (bytes.length < LENGTH) {
            throw new EOFException("object header is truncated: " + bytes.length + " of " + LENGTH + " bytes");
        }
        DataInputStream data = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
        data.skipNBytes(MAGIC.length);
        byte version = data.readByte();
        byte algorithm = data.readByte();
        if (version != FORMAT_VERSION || algorithm != SHA_256) {
            throw new IOException("object header version " + version + " / digest " + algorithm
                    + " is not known to this walstash; upgrade walstash to read it");
        }
        data.skipNBytes(2);
        long length = data.readLong();
        byte[] digest = data.readNBytes(32);
        return new ObjectHeader(length, digest);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectHeader other && sameContentAs(other);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(plainLength) * 31 + Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        return "ObjectHeader[plainLength=" + plainLength + ", sha256=" + sha256Hex() + "]";
    }
}
