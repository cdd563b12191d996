package io.walstash.compression;

import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * A deterministic stream of WAL-like bytes made page by page, so that large inputs never sit in
 * memory: 8 KiB pages with a header, text-like tuples, some random bytes (a quarter of the pages
 * are entirely random, like full-page images of compressed data) and zero tails.
 */
final class WalLikeInputStream extends InputStream {
    static final int PAGE_SIZE = 8192;

    private final long size;
    private final long seed;
    private final byte[] page = new byte[PAGE_SIZE];
    private long position;
    private int pageOffset = PAGE_SIZE;
    private long pageNumber;

    WalLikeInputStream(long size, long seed) {
        this.size = size;
        this.seed = seed;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (position >= size) {
            return -1;
        }
        if (pageOffset == PAGE_SIZE) {
            fillPage();
        }
        int n = (int) Math.min(Math.min(len, PAGE_SIZE - pageOffset), size - position);
        System.arraycopy(page, pageOffset, b, off, n);
        pageOffset += n;
        position += n;
        return n;
    }

    private void fillPage() {
        Random random = new Random(seed * 31 + pageNumber);
        Arrays.fill(page, (byte) 0);
        page[0] = (byte) 0xD1;
        page[2] = 7;
        for (int i = 0; i < 8; i++) {
            page[8 + i] = (byte) (pageNumber >>> (8 * i));
        }
        if (random.nextInt(4) == 0) {
            random.nextBytes(page);
        } else {
            int at = 24;
            int end = 24 + random.nextInt(PAGE_SIZE - 24);
            while (at < end) {
                byte[] tuple = random.nextInt(8) == 0 ? randomBytes(random, 8 + random.nextInt(120))
                        : ("tuple " + (pageNumber * 100 + at) + " status=ACTIVE region=eu-"
                                + random.nextInt(4) + ";").getBytes();
                int n = Math.min(tuple.length, end - at);
                System.arraycopy(tuple, 0, page, at, n);
                at += n;
            }
        }
        pageNumber++;
        pageOffset = 0;
    }

    private static byte[] randomBytes(Random random, int n) {
        byte[] bytes = new byte[n];
        random.nextBytes(bytes);
        return bytes;
    }
}
