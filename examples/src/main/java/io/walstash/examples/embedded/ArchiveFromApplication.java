package io.walstash.examples.embedded;

import io.walstash.core.archive.FetchResult;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.spool.PushResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An application that embeds walstash: it archives WAL files itself (say, files a JVM service
 * receives from PostgreSQL's streaming replication) and proves each one can be fetched back.
 *
 * <pre>java -cp ... io.walstash.examples.embedded.ArchiveFromApplication STORAGE-URI WAL-FILE...</pre>
 */
public final class ArchiveFromApplication {
    private final WalArchive archive;
    private final PrintStream out;

    public ArchiveFromApplication(WalArchive archive, PrintStream out) {
        this.archive = archive;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ArchiveFromApplication STORAGE-URI WAL-FILE...");
            System.exit(2);
        }
        // Configuration comes from wherever the application keeps it; here, one value.
        Configuration configuration = Configuration.of(Map.of(CoreSettings.STORAGE.name(), args[0]));
        try (WalArchive archive = WalArchive.open(configuration, "archive-from-application example")) {
            boolean allGood = new ArchiveFromApplication(archive, System.out)
                    .archiveAndCheck(List.of(args).subList(1, args.length).stream().map(Path::of).toList());
            System.exit(allGood ? 0 : 1);
        }
    }

    /** Pushes every file, then fetches each into a scratch directory and compares; true when all match. */
    public boolean archiveAndCheck(List<Path> walFiles) throws IOException {
        Path scratch = Files.createTempDirectory("walstash-example-");
        try {
            boolean allGood = true;
            for (Path file : walFiles) {
                PushResult pushed = archive.push(file);
                if (pushed instanceof PushResult.Conflict conflict) {
                    out.println("CONFLICT " + conflict.key() + ": " + conflict.detail());
                    allGood = false;
                    continue;
                }
                String name = file.getFileName().toString();
                Path copy = scratch.resolve(name);
                FetchResult fetched = archive.fetch(name, copy);
                boolean same = fetched instanceof FetchResult.Fetched && Files.mismatch(file, copy) == -1L;
                out.println((same ? "OK " : "MISMATCH ") + pushed.key());
                allGood &= same;
                Files.deleteIfExists(copy);
            }
            return allGood;
        } finally {
            Files.deleteIfExists(scratch);
        }
    }
}
