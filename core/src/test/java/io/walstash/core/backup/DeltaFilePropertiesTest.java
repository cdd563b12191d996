package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class DeltaFilePropertiesTest {
    private static final int BLOCK = 64;

    record Change(byte[] before, byte[] after) {
    }

    /** A file before and after: truncated, extended or the same length, with some blocks rewritten. */
    @Provide
    Arbitrary<Change> changes() {
        Arbitrary<byte[]> files = Arbitraries.bytes().array(byte[].class).ofMaxSize(BLOCK * 12);
        return Combinators.combine(files, files, Arbitraries.integers().between(0, BLOCK * 12))
                .as((before, noise, length) -> {
                    byte[] after = Arrays.copyOf(before, length);
                    for (int i = 0; i < Math.min(noise.length, after.length); i += 3) {
                        after[i] ^= noise[i];
                    }
                    return new Change(before, after);
                });
    }

    /** The blocks where the files differ, plus every block past the old end: what a delta must hold. */
    private static int[] differing(Change c) {
        int blocks = (c.after().length + BLOCK - 1) / BLOCK;
        return IntStream.range(0, blocks).filter(b -> {
            int from = b * BLOCK;
            int to = Math.min(from + BLOCK, c.after().length);
            if (to > c.before().length) {
                return true;
            }
            return !Arrays.equals(c.before(), from, to, c.after(), from, to);
        }).toArray();
    }

    @Property
    void applyingTheChangedBlocksTurnsTheOldFileIntoTheNew(@ForAll("changes") Change change) throws IOException {
        byte[] delta = DeltaFile.encode(change.after(), BLOCK, change.after().length, differing(change));
        assertThat(DeltaFile.applyTo(change.before(), new ByteArrayInputStream(delta))).isEqualTo(change.after());
    }

    @Property(tries = 40)
    void applyingToAFileOnDiskMatchesApplyingInMemory(@ForAll("changes") Change change) throws IOException {
        byte[] delta = DeltaFile.encode(change.after(), BLOCK, change.after().length, differing(change));
        Path file = Files.createTempFile("delta", ".bin");
        try {
            Files.write(file, change.before());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                DeltaFile.apply(new ByteArrayInputStream(delta), channel);
            }
            assertThat(Files.readAllBytes(file)).isEqualTo(change.after());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Property
    void theEncodingHasTheDocumentedLength(@ForAll("changes") Change change) {
        int[] blocks = differing(change);
        byte[] delta = DeltaFile.encode(change.after(), BLOCK, change.after().length, blocks);
        assertThat(delta).hasSize(DeltaFile.HEADER_LENGTH + blocks.length * (4 + BLOCK));
    }

    @Property
    void aTruncatedDeltaIsRejected(@ForAll("changes") Change change, @ForAll @IntRange(min = 1, max = 1000) int cut) {
        byte[] delta = DeltaFile.encode(change.after(), BLOCK, change.after().length, differing(change));
        byte[] truncated = Arrays.copyOf(delta, Math.max(0, delta.length - cut));
        assertThatThrownBy(() -> DeltaFile.applyTo(change.before(), new ByteArrayInputStream(truncated)))
                .isInstanceOf(IOException.class).hasMessageContaining("delta file");
    }

    @Property
    void trailingBytesAreRejected(@ForAll("changes") Change change) {
        byte[] delta = DeltaFile.encode(change.after(), BLOCK, change.after().length, differing(change));
        byte[] longer = Arrays.copyOf(delta, delta.length + 1);
        assertThatThrownBy(() -> DeltaFile.applyTo(change.before(), new ByteArrayInputStream(longer)))
                .isInstanceOf(IOException.class).hasMessageContaining("after its last page");
    }
}
