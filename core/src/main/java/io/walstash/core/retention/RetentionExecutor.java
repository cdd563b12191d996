package io.walstash.core.retention;

import io.walstash.core.progress.WorkProgress;
import io.walstash.core.repository.BackupFolders;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.retention.RetentionPlan.Deletion;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a {@link RetentionPlan} through the Storage SPI so that an interrupted run leaves nothing
 * that looks like a backup and a second run finishes the job. For each folder, in the plan's order
 * (deltas before their bases): create the {@code deleted} intent marker, delete
 * {@code manifest.json} (from here on no reader takes it for a backup), delete the other objects in
 * batches, delete the marker last. Then the WAL, in batches.
 */
public final class RetentionExecutor {
    public static final int DEFAULT_BATCH = 1000;

    private final Storage storage;
    private final int batchSize;

    /** What a run did. */
    public record Result(List<String> deletedFolders, List<String> skipped, long objectsDeleted, long walDeleted) {
        public Result {
            deletedFolders = List.copyOf(deletedFolders);
            skipped = List.copyOf(skipped);
        }
    }

    /** Told of each step as it completes, to report progress. */
    public interface Progress {
        Progress NONE = new Progress() {
        };

        default void folderDeleted(String name, int objects) {
        }

        default void skipped(String name, String why) {
        }

        default void walBatchDeleted(int objects) {
        }
    }

    public RetentionExecutor(Storage storage) {
        this(storage, DEFAULT_BATCH);
    }

    public RetentionExecutor(Storage storage, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
        }
        this.storage = storage;
        this.batchSize = batchSize;
    }

    public Result execute(RetentionPlan plan, Progress progress) throws IOException {
        return execute(plan, progress, WorkProgress.NONE);
    }

    /** As {@link #execute(RetentionPlan, Progress)}, also telling {@code work} the objects and bytes deleted as they go. */
    public Result execute(RetentionPlan plan, Progress progress, WorkProgress work) throws IOException {
        work.begin("delete " + plan.policy(),
                plan.deletions().stream().mapToLong(d -> d.objects().size()).sum() + plan.wal().size(),
                plan.deletions().stream().flatMap(d -> d.objects().stream()).mapToLong(ObjectInfo::size).sum()
                        + plan.wal().stream().mapToLong(WalObject::size).sum());
        try {
            return run(plan, progress, work);
        } finally {
            work.end();
        }
    }

    private Result run(RetentionPlan plan, Progress progress, WorkProgress work) throws IOException {
        List<String> deleted = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        long objects = 0;
        for (Deletion d : plan.deletions()) {
            // marked permanent after the plan was made: the mark wins
            if (d.backup() != null && storage.stat(RepositoryLayout.permanentKey(d.name())).isPresent()) {
                String why = "marked permanent since the plan was made";
                skipped.add(d.name() + ": " + why);
                progress.skipped(d.name(), why);
                continue;
            }
            int count = deleteFolder(d.name());
            objects += count;
            deleted.add(d.name());
            progress.folderDeleted(d.name(), count);
            work.advance(d.objects().size(), d.objects().stream().mapToLong(ObjectInfo::size).sum());
        }
        long wal = 0;
        // the WAL plan assumed every planned backup goes; one that stays may need some of that WAL
        List<WalObject> walObjects = skipped.isEmpty() ? plan.wal() : List.of();
        List<String> keys = walObjects.stream().map(WalObject::key).toList();
        if (!skipped.isEmpty() && !plan.wal().isEmpty()) {
            skipped.add("WAL: none deleted because a planned backup stayed; run delete again");
            progress.skipped("WAL", "none deleted because a planned backup stayed; run delete again");
        }
        for (int from = 0; from < keys.size(); from += batchSize) {
            List<String> batch = keys.subList(from, Math.min(keys.size(), from + batchSize));
            storage.deleteAll(batch);
            wal += batch.size();
            progress.walBatchDeleted(batch.size());
            work.advance(batch.size(), walObjects.subList(from, from + batch.size()).stream().mapToLong(WalObject::size).sum());
        }
        return new Result(deleted, skipped, objects, wal);
    }

    /** Deletes every object of folder {@code name}, resumably; returns how many there were. */
    private int deleteFolder(String name) throws IOException {
        String marker = RepositoryLayout.deletedKey(name);
        storage.createIfAbsent(marker, new ByteArrayInputStream(new byte[0])); // already there when resuming
        storage.delete(RepositoryLayout.manifestKey(name));
        List<String> rest = BackupFolders.Folder.list(storage, name).keysExcept(marker);
        for (int from = 0; from < rest.size(); from += batchSize) {
            storage.deleteAll(rest.subList(from, Math.min(rest.size(), from + batchSize)));
        }
        storage.delete(marker);
        return rest.size() + 1;
    }
}
