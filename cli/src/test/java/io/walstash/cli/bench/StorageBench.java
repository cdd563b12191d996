package io.walstash.cli.bench;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Settings;
import io.walstash.core.io.FileTrees;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import io.walstash.core.testing.WalSegmentFiles;
import io.walstash.storage.azure.AzuriteServer;
import io.walstash.storage.gcs.FakeGcsServer;
import io.walstash.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Push and fetch of 16 MiB WAL segments (zstd, through WalArchive) and of one 1 GiB object
 * (straight through the Storage SPI) against each backend's local server. Run by
 * bench/storage.sh; prints a Markdown table. Not a test: timings belong in benchmarks.
 */
public final class StorageBench {
    private static final int SEGMENT_RUNS = 5;
    private static final long BIG = Long.getLong("walstash.bench.bytes", 1L << 30);
    private static final String ONLY = System.getProperty("walstash.bench.only", "");

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("walstash-storage-bench-");
        List<String> rows = new ArrayList<>();
        try (S3ProxyServer s3 = S3ProxyServer.start();
             AzuriteServer azurite = new AzuriteServer(3072).start();
             FakeGcsServer gcs = FakeGcsServer.start()) {
            rows.add(run("file", work.resolve("repo").toUri().toString(), Map.of(), work));
            String bucket = s3.newBucket();
            rows.add(run("s3 (s3proxy)", "s3://" + bucket + "/bench", s3.settings(), work));
            Map<String, String> azure = new HashMap<>(azurite.settings());
            rows.add(run("azure (Azurite)", "azure://bench/pg", azure, work));
            gcs.createBucket("bench");
            rows.add(run("gcs (FakeGcsServer)", "gs://bench/pg",
                    Map.of("WALSTASH_GCS_ENDPOINT", gcs.endpoint().toString(), "WALSTASH_GCS_PROJECT", "bench"), work));
        } finally {
            FileTrees.delete(work);
        }
        System.out.println("| backend | wal-push 16 MiB (median) | wal-fetch 16 MiB (median) | 1 GiB create | 1 GiB read |");
        System.out.println("| --- | --- | --- | --- | --- |");
        rows.forEach(System.out::println);
        System.out.printf("%npeak RSS of the bench JVM (client, s3proxy and the GCS server in-process; Azurite apart): %d MiB%n",
                peakRssKib() / 1024);
    }

    private static String run(String label, String uri, Map<String, String> settings, Path work) throws Exception {
        if (!label.startsWith(ONLY)) {
            return "| " + label + " | not run | | | |";
        }
        Settings all = Settings.of(settings);
        Path segments = Files.createDirectories(work.resolve("segments-" + label.hashCode()));
        Path fetched = Files.createDirectories(work.resolve("fetched-" + label.hashCode()));
        try (Storage storage = Storages.open(StorageLocation.parse(uri), all)) {
            if (storage instanceof CreatesBucket creates) {
                creates.createBucketIfMissing();
            }
            Codecs codecs = Codecs.installed();
            WalArchive archive = new WalArchive(storage, codecs.byName("zstd"), codecs, "bench", Clock.systemUTC());
            List<Long> push = new ArrayList<>();
            List<Long> fetch = new ArrayList<>();
            for (int i = 0; i < SEGMENT_RUNS; i++) {
                String name = String.format("0000000100000000%08X", i + 1);
                // random bytes after the header: incompressible, so the storage path carries all 16 MiB
                Path segment = WalSegmentFiles.segment(segments, name, name, 7, i, 16 << 20, 16 << 20);
                long t = System.nanoTime();
                archive.push(segment);
                push.add(System.nanoTime() - t);
                t = System.nanoTime();
                archive.fetch(name, fetched.resolve(name));
                fetch.add(System.nanoTime() - t);
            }
            long t = System.nanoTime();
            storage.createIfAbsent("bench/big", new PatternStream(BIG));
            long create = System.nanoTime() - t;
            t = System.nanoTime();
            long read;
            try (InputStream in = storage.read("bench/big")) {
                read = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            long readNanos = System.nanoTime() - t;
            if (read != BIG) {
                throw new IOException(label + ": read " + read + " of " + BIG + " bytes");
            }
            storage.delete("bench/big");
            return String.format("| %s | %s | %s | %s | %s |", label, rate(median(push), 16 << 20),
                    rate(median(fetch), 16 << 20), rate(create, BIG), rate(readNanos, BIG));
        } finally {
            FileTrees.delete(segments);
            FileTrees.delete(fetched);
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private static String rate(long nanos, long bytes) {
        return String.format("%.0f ms, %.0f MB/s", nanos / 1e6, bytes / 1e6 / (nanos / 1e9));
    }

    private static long peakRssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** {@code length} bytes of a cheap, non-repeating-looking pattern, generated as read. */
    private static final class PatternStream extends InputStream {
        private final long length;
        private long position;

        PatternStream(long length) {
            this.length = length;
        }

        @Override
        public int read() {
            if (position >= length) {
                return -1;
            }
            return (int) ((position++ * 2654435761L) >>> 13) & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= length) {
                return -1;
            }
            int n = (int) Math.min(len, length - position);
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) (((position + i) * 2654435761L) >>> 13);
            }
            position += n;
            return n;
        }
    }
}
