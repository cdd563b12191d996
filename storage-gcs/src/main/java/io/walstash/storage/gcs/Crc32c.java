package io.walstash.storage.gcs;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.CRC32C;

/** CRC32C as GCS writes it: the four bytes of the checksum, big-endian, in base64. */
final class Crc32c {
    private Crc32c() {
    }

    static String base64(CRC32C crc) {
        return base64((int) crc.getValue());
    }

    static String base64(int value) {
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt(value).array());
    }

    static String of(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return base64(crc);
    }
}
