package io.walstash.cli;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.config.Configuration;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageLocation;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Prove the configured storage works before PostgreSQL relies on it.",
                "Writes, reads back, lists and deletes a probe object and reports each step's latency;",
                "a failure names what failed (no credentials, access denied, no such bucket,",
                "endpoint unreachable, TLS problem) in one line and exits non-zero."})
final class CheckCommand implements Callable<Integer> {
    static final String PROBE_PREFIX = "walstash-check/";
    private static final int PROBE_SIZE = 64 * 1024;

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Option(names = "--create-bucket", description = "Create the bucket or container when it is missing")
    boolean createBucket;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Configuration configuration = config.load();
        out.printf("storage: %s%n", StorageLocation.configured(configuration));
        try (WalArchive archive = timed("open", () -> WalArchive.open(configuration, VersionProvider.writer()))) {
            out.printf("codec: %s%n", configuration.compression());
            Storage storage = archive.storage();
            if (createBucket) {
                if (storage instanceof CreatesBucket creates) {
                    boolean created = timed("create bucket", creates::createBucketIfMissing);
                    out.printf("  bucket: %s%n", created ? "created" : "already there");
                } else {
                    out.printf("  --create-bucket: nothing to create for %s storage%n", storage.location().getScheme());
                }
            }
            probe(storage);
            Optional<RepositoryMarker> marker = timed("read repository marker", archive::readMarker);
            out.printf("repository: %s%n", marker.map(m -> "serves " + m).orElse("empty (the first wal-push pins it to its cluster)"));
        }
        out.println("OK: the storage works");
        return ExitCode.OK.code();
    }

    private void probe(Storage storage) throws IOException {
        byte[] content = new byte[PROBE_SIZE];
        new SecureRandom().nextBytes(content);
        String key = PROBE_PREFIX + UUID.randomUUID();
        boolean created = timed("write " + PROBE_SIZE / 1024 + " KiB probe", () ->
                storage.createIfAbsent(key, new ByteArrayInputStream(content)));
        if (!created) {
            throw new IOException("probe object " + key + " already existed; storage reported a create that did not happen");
        }
        try {
            byte[] read = timed("read it back", () -> {
                try (InputStream in = storage.read(key)) {
                    return in.readAllBytes();
                }
            });
            if (!Arrays.equals(read, content)) {
                throw new IOException("probe object " + key + " read back different bytes (" + read.length + " of " + content.length + ")");
            }
            boolean listed = timed("list", () -> {
                try (Stream<ObjectInfo> listing = storage.list(PROBE_PREFIX)) {
                    return listing.anyMatch(info -> info.key().equals(key) && info.size() == content.length);
                }
            });
            if (!listed) {
                throw new IOException("probe object " + key + " is missing from the listing of " + PROBE_PREFIX);
            }
        } finally {
            timed("delete", () -> {
                storage.delete(key);
                return null;
            });
        }
        if (timed("confirm deleted", () -> storage.stat(key)).isPresent()) {
            throw new IOException("probe object " + key + " is still there after delete");
        }
    }

    private interface Step<T> {
        T run() throws IOException;
    }

    /** Runs one step and prints its latency; a failure is reported with the step's name. */
    private <T> T timed(String name, Step<T> step) throws IOException {
        long started = System.nanoTime();
        try {
            T result = step.run();
            out.printf("  %-24s %7.1f ms%n", name, (System.nanoTime() - started) / 1e6);
            out.flush();
            return result;
        } catch (IOException e) {
            out.printf("  %-24s FAILED%n", name);
            out.flush();
            throw e;
        }
    }
}
