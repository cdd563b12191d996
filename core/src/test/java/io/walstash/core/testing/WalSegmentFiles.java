package io.walstash.core.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Builds WAL segment files whose first page carries a valid long page header, as PostgreSQL
 * writes them, with random bytes after it. Shared through core's test-jar.
 */
public final class WalSegmentFiles {
    public static final int SEGMENT_SIZE = 1 << 20; // the smallest size PostgreSQL allows keeps tests fast
    public static final int PG15_MAGIC = 0xD110;

    private WalSegmentFiles() {
    }

    /** Writes segment {@code name} (a 24-hex-digit name) of system {@code systemId} into {@code directory}. */
    public static Path segment(Path directory, String name, long systemId, long seed) throws IOException {
        return segment(directory, name, name, systemId, seed, SEGMENT_SIZE);
    }

    /**
     * Writes a file called {@code fileName} of {@code size} bytes holding the header of segment
     * {@code segmentName} of a cluster with {@link #SEGMENT_SIZE} segments (a size other than that
     * makes a damaged segment).
     */
    public static Path segment(Path directory, String fileName, String segmentName, long systemId, long seed, int size)
            throws IOException {
        return segment(directory, fileName, segmentName, systemId, seed, size, SEGMENT_SIZE);
    }

    /** As above, for a cluster whose segments are {@code segmentSize} bytes. */
    public static Path segment(Path directory, String fileName, String segmentName, long systemId, long seed, int size,
                               int segmentSize) throws IOException {
        long timeline = Long.parseLong(segmentName.substring(0, 8), 16);
        long log = Long.parseLong(segmentName.substring(8, 16), 16);
        long seg = Long.parseLong(segmentName.substring(16, 24), 16);
        long segmentsPerId = 0x1_0000_0000L / segmentSize;
        long startLsn = (log * segmentsPerId + seg) * segmentSize;
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        ByteBuffer header = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        header.putShort(0, (short) PG15_MAGIC);
        header.putShort(2, (short) 0x0002); // XLP_LONG_HEADER
        header.putInt(4, (int) timeline);
        header.putLong(8, startLsn);
        header.putInt(16, 0);
        header.putInt(20, 0);
        header.putLong(24, systemId);
        header.putInt(32, segmentSize);
        header.putInt(36, 8192);
        Path file = directory.resolve(fileName);
        Files.write(file, bytes);
        return file;
    }
}
