package io.walstash.core.backup;

import java.util.Random;

/** Test bytes compressible like relation pages: runs of 64 bytes of a few values. */
final class PageLike {
    private PageLike() {
    }

    static byte[] bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i += 64) {
            byte value = (byte) random.nextInt(8);
            for (int j = i; j < Math.min(length, i + 64); j++) {
                bytes[j] = value;
            }
        }
        return bytes;
    }
}
