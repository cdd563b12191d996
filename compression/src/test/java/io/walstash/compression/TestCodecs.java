package io.walstash.compression;

import io.walstash.core.codec.Codec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Random;

/** The codecs under test and small helpers around them. */
final class TestCodecs {

    private TestCodecs() {
    }

    static List<Codec> all() {
        return List.of(new ZstdCodec(), new Lz4Codec(), new GzipCodec(), new XzCodec(), new LzmaCodec(),
                new BrotliCodec(), new NoneCodec());
    }

    /** Every codec but {@code none}, which cannot notice truncation or corruption. */
    static List<Codec> compressing() {
        return all().stream().filter(c -> !(c instanceof NoneCodec)).toList();
    }

    /** Codecs whose format carries a checksum of the data, so corruption cannot pass unnoticed. */
    static boolean checksummed(Codec codec) {
        return codec instanceof ZstdCodec || codec instanceof Lz4Codec || codec instanceof GzipCodec
                || codec instanceof XzCodec;
    }

    static byte[] compress(Codec codec, byte[] plain) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (OutputStream out = codec.compress(compressed)) {
            out.write(plain);
        }
        return compressed.toByteArray();
    }

    static byte[] decompress(Codec codec, byte[] compressed) throws IOException {
        try (InputStream in = codec.decompress(new ByteArrayInputStream(compressed))) {
            return in.readAllBytes();
        }
    }

    /** {@code size} bytes of text-like records, random runs and zero runs. */
    static byte[] mixed(int size, long seed) {
        Random random = new Random(seed);
        byte[] data = new byte[size];
        int at = 0;
        long id = 0;
        while (at < size) {
            int kind = random.nextInt(10);
            byte[] piece;
            if (kind < 6) {
                piece = ("INSERT id=" + id++ + " name='customer-" + id % 97 + "';").getBytes();
            } else if (kind < 8) {
                piece = new byte[8 + random.nextInt(64)];
                random.nextBytes(piece);
            } else {
                piece = new byte[random.nextInt(200)];
            }
            int n = Math.min(piece.length, size - at);
            System.arraycopy(piece, 0, data, at, n);
            at += n;
        }
        return data;
    }
}
