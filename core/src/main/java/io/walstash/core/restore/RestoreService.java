package io.walstash.core.restore;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupFetch;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.RecoveryTarget;
import io.walstash.core.codec.Codecs;
import io.walstash.core.progress.WorkProgress;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The restore use case an application (or the CLI) calls: choose the backup (a name, LATEST, or
 * the newest one that ended before the recovery target), fetch it, and write the recovery settings
 * so that the server recovers from the WAL archive when started.
 */
public final class RestoreService {
    private final Storage storage;
    private final Codecs codecs;
    private final PrintWriter log;
    private final WorkProgress progress;

    /** {@code log} receives the fetch's progress lines; the storage stays the caller's to close. */
    public RestoreService(Storage storage, Codecs codecs, PrintWriter log) {
        this(storage, codecs, log, WorkProgress.NONE);
    }

    /** @param progress told of each file the fetch restores */
    public RestoreService(Storage storage, Codecs codecs, PrintWriter log, WorkProgress progress) {
        this.storage = Objects.requireNonNull(storage);
        this.codecs = Objects.requireNonNull(codecs);
        this.log = Objects.requireNonNull(log);
        this.progress = Objects.requireNonNull(progress);
    }

    /**
     * What to restore.
     *
     * @param backup         a backup name or LATEST; empty: chosen from {@code target}
     * @param target         where recovery stops, and what happens there
     * @param fetch          where and how the backup is fetched
     * @param restoreCommand the restore_command the server will run to fetch WAL
     */
    public record Request(Optional<String> backup, RecoveryTarget target, BackupFetch.Options fetch, String restoreCommand) {
        public Request {
            Objects.requireNonNull(backup);
            Objects.requireNonNull(target);
            Objects.requireNonNull(fetch);
            Objects.requireNonNull(restoreCommand);
        }
    }

    /** Told which backup was chosen before it is fetched, when the request named none; and when its fetch begins. */
    public interface Listener {
        Listener NONE = backup -> { };

        void chosen(BackupManifest backup);

        /**
         * The backup was found and its fetch into {@code destination} begins: what may run beside the
         * fetch can start (the CLI starts the daemon the restore_command will ask). Not called when
         * there is no backup to restore.
         */
        default void fetching(BackupManifest backup, Path destination) throws IOException {
        }
    }

    /** How a restore ended. */
    public sealed interface Result permits Restored, NoBackup {
    }

    /** The backup is in {@code destination} with recovery settings; start the server to recover. */
    public record Restored(BackupManifest backup, Path destination, boolean chosen) implements Result {
    }

    /** No backup fits: none at all, or none that ended before the recovery target. Nothing was written. */
    public record NoBackup(String reason) implements Result {
    }

    /**
     * Restores as {@code request} says. A named backup that does not exist throws
     * {@link BackupCatalog.NoSuchBackupException}; a failed fetch removes what it wrote.
     */
    public Result restore(Request request, Listener listener) throws IOException {
        BackupCatalog catalog = new BackupCatalog(storage);
        BackupManifest backup;
        boolean chosen = request.backup().isEmpty();
        if (!chosen) {
            backup = catalog.resolve(request.backup().get());
        } else {
            RecoveryTarget target = request.target();
            Optional<BackupManifest> choice = target.chooseBackup(catalog.list());
            if (choice.isEmpty()) {
                return new NoBackup(target.kind() == RecoveryTarget.Kind.TIME || target.kind() == RecoveryTarget.Kind.LSN
                        ? "no backup in " + storage.location() + " ended before the recovery target"
                        : "no backups in " + storage.location());
            }
            backup = choice.get();
            listener.chosen(backup);
        }
        listener.fetching(backup, request.fetch().destination());
        new BackupFetch(storage, codecs, log, progress).fetch(catalog, backup, request.fetch());
        request.target().writeTo(request.fetch().destination(), request.restoreCommand());
        return new Restored(backup, request.fetch().destination(), chosen);
    }
}
