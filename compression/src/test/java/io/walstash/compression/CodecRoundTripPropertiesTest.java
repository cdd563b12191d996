package io.walstash.compression;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.codec.Codec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

class CodecRoundTripPropertiesTest {
    private static final int MAX_SIZE = 64 * 1024;

    @Property(tries = 1000)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void everyCodecRoundTripsAnyBytes(@ForAll("codecs") Codec codec, @ForAll("payloads") byte[] plain)
            throws IOException {
        assertThat(TestCodecs.decompress(codec, TestCodecs.compress(codec, plain))).isEqualTo(plain);
        Statistics.collect(plain.length < 1024 ? "< 1 KiB" : plain.length < 16384 ? "< 16 KiB" : ">= 16 KiB");
        Statistics.coverage(coverage -> coverage.check(">= 16 KiB").percentage(p -> p >= 20));
    }

    /** Writes in chunks of any size (1 through write(int)) and reads back in pieces of any size. */
    @Property(tries = 300)
    void chunkingDoesNotMatter(@ForAll("codecs") Codec codec, @ForAll("payloads") byte[] plain,
            @ForAll @IntRange(min = 1, max = 9000) int writeChunk,
            @ForAll @IntRange(min = 1, max = 9000) int readChunk) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(compressed)) {
            for (int at = 0; at < plain.length; at += writeChunk) {
                if (writeChunk == 1) {
                    out.write(plain[at]);
                } else {
                    out.write(plain, at, Math.min(writeChunk, plain.length - at));
                }
            }
        }
        ByteArrayOutputStream decompressed = new ByteArrayOutputStream();
        try (InputStream in = codec.decompress(new ByteArrayInputStream(compressed.toByteArray()))) {
            byte[] buffer = new byte[readChunk];
            while (true) {
                int n = readChunk == 1 ? in.read() : in.read(buffer, 0, readChunk);
                if (n < 0) {
                    break;
                }
                if (readChunk == 1) {
                    decompressed.write(n);
                } else {
                    decompressed.write(buffer, 0, n);
                }
            }
        }
        assertThat(decompressed.toByteArray()).isEqualTo(plain);
    }

    @Provide
    Arbitrary<Codec> codecs() {
        return Arbitraries.of(TestCodecs.all());
    }

    @Provide
    Arbitrary<byte[]> payloads() {
        // jqwik favours small sizes; uniform sizes make large arrays as likely as small ones
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(MAX_SIZE)
                .withSizeDistribution(RandomDistribution.uniform());
        Arbitrary<byte[]> fewSymbols = Arbitraries.bytes().between((byte) 0, (byte) 3)
                .array(byte[].class).ofMaxSize(MAX_SIZE).withSizeDistribution(RandomDistribution.uniform());
        Arbitrary<byte[]> repeated = Combinators.combine(
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300),
                Arbitraries.integers().between(1, MAX_SIZE))
                .as((unit, size) -> {
                    byte[] out = new byte[size];
                    for (int at = 0; at < size; at += unit.length) {
                        System.arraycopy(unit, 0, out, at, Math.min(unit.length, size - at));
                    }
                    return out;
                });
        Arbitrary<byte[]> zerosWithNoise = Combinators.combine(
                Arbitraries.integers().between(0, MAX_SIZE),
                Arbitraries.longs())
                .as((size, seed) -> {
                    byte[] out = new byte[size];
                    Random noise = new Random(seed);
                    for (int i = 0; i < size / 64; i++) {
                        out[noise.nextInt(size)] = (byte) noise.nextInt();
                    }
                    return out;
                });
        Arbitrary<byte[]> walLike = Combinators.combine(
                Arbitraries.integers().between(0, MAX_SIZE),
                Arbitraries.longs())
                .as((size, seed) -> {
                    try (InputStream in = new WalLikeInputStream(size, seed)) {
                        return in.readAllBytes();
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
        return Arbitraries.frequencyOf(
                Tuple.of(4, random),
                Tuple.of(2, fewSymbols),
                Tuple.of(2, repeated),
                Tuple.of(1, zerosWithNoise),
                Tuple.of(2, walLike))
                .edgeCases(edges -> edges.add(new byte[0]));
    }
}
