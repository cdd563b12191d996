package io.walstash.examples.embedded;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.archive.FetchResult;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupFetch;
import io.walstash.core.backup.RecoveryTarget;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.restore.RestoreService;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * An application that restores a base backup itself, through core's {@link RestoreService}, with no
 * walstash command line involved: it chooses the latest backup, fetches it into a data directory and
 * writes the recovery settings; the WAL recovery needs is fetched from the archive by the application
 * too, into a directory the server's restore_command copies from.
 *
 * <pre>java -cp ... io.walstash.examples.embedded.RestoreFromApplication STORAGE-URI DATA-DIR WAL-DIR</pre>
 */
public final class RestoreFromApplication {
    private final WalArchive archive;
    private final PrintWriter log;

    public RestoreFromApplication(WalArchive archive, PrintWriter log) {
        this.archive = archive;
        this.log = log;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: RestoreFromApplication STORAGE-URI DATA-DIR WAL-DIR");
            System.exit(2);
        }
        Configuration configuration = Configuration.of(Map.of(CoreSettings.STORAGE.name(), args[0]));
        try (WalArchive archive = WalArchive.open(configuration, "restore-from-application example")) {
            RestoreService.Result result = new RestoreFromApplication(archive, new PrintWriter(System.err, true))
                    .restoreLatest(Path.of(args[1]), Path.of(args[2]));
            System.exit(result instanceof RestoreService.Restored ? 0 : 1);
        }
    }

    /**
     * Restores the latest backup into {@code dataDirectory} (which must be missing or empty) so that
     * the server, started on it, recovers to the end of the WAL this application puts into
     * {@code walDirectory}: every segment the archive holds from the backup's start on.
     */
    public RestoreService.Result restoreLatest(Path dataDirectory, Path walDirectory) throws IOException {
        String restoreCommand = "cp '" + walDirectory.toAbsolutePath() + "/%f' '%p'";
        RestoreService.Request request = new RestoreService.Request(Optional.empty(), RecoveryTarget.latest(),
                new BackupFetch.Options(dataDirectory, false, Map.of(), 4), restoreCommand);
        RestoreService.Result result = new RestoreService(archive.storage(), Codecs.installed(), log)
                .restore(request, backup -> log.println("chose " + backup.name() + ", ended " + backup.stopTime()));
        if (result instanceof RestoreService.Restored restored) {
            Files.createDirectories(walDirectory);
            SegmentFileName segment = SegmentFileName.parse(restored.backup().startWalFile());
            int fetched = 0;
            Path file = walDirectory.resolve(segment.fileName());
            while (archive.fetch(segment.fileName(), file) instanceof FetchResult.Fetched) {
                fetched++;
                // a segment's length is the cluster's segment size, which names the next segment
                segment = segment.next(WalSegmentSize.ofBytes(Files.size(file)));
                file = walDirectory.resolve(segment.fileName());
            }
            log.println("restored " + restored.backup().name() + " with " + fetched + " WAL segment(s) to recover from");
        } else if (result instanceof RestoreService.NoBackup none) {
            log.println("nothing restored: " + none.reason());
        }
        return result;
    }
}
