package io.walstash.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/** The digest walstash records for plain bytes, in one place. */
public final class Digests {
    private Digests() {
    }

    /** A fresh SHA-256 digest; every JDK has one. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** The SHA-256, in lower-case hex, of what {@code channel} yields from its position to its end. */
    public static String sha256Hex(ReadableByteChannel channel) throws IOException {
        MessageDigest digest = sha256();
        readAll(channel, digest::update);
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The CRC-32C of what {@code channel} yields from its position to its end: a fast check against accidental change, not against forgery. */
    public static long crc32c(ReadableByteChannel channel) throws IOException {
        CRC32C crc = new CRC32C();
        readAll(channel, crc::update);
        return crc.getValue();
    }

    /** Hands {@code sink} what {@code channel} yields from its position to its end, a buffer at a time. */
    private static void readAll(ReadableByteChannel channel, Consumer<ByteBuffer> sink) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
        while (channel.read(buffer) >= 0) {
            buffer.flip();
            sink.accept(buffer);
            buffer.clear();
        }
    }
}
