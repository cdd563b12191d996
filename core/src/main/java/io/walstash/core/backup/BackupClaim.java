package io.walstash.core.backup;

import io.walstash.core.repository.BackupFolders;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * A backup-push's hold on its backup's name: the {@code claim} object, created if absent in an
 * empty folder before anything else is uploaded. Two runs that start in the same WAL segment
 * want the same name; the storage's create-if-absent lets only one have it, and the other takes
 * the next free name ({@code <name>_2}, {@code _3}, ...). A run removes objects only from the
 * folder it claimed, so it never deletes another run's objects; folders of runs that died keep
 * their claim and are left to {@code delete garbage}.
 */
public final class BackupClaim {
    /** Far more runs than could start in one WAL segment. */
    static final int MAX_SUFFIX = 100;

    private final Storage storage;
    private final String name;

    private BackupClaim(Storage storage, String name) {
        this.storage = storage;
        this.name = name;
    }

    /** Claims {@code wanted}, or the first free {@code wanted_<n>}; {@code who} is written into the claim. */
    public static BackupClaim take(Storage storage, String wanted, String who, PrintWriter log) throws IOException {
        byte[] content = (who + "\nclaimed " + Instant.now() + " by pid " + ProcessHandle.current().pid() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        for (int n = 1; n <= MAX_SUFFIX; n++) {
            String candidate = n == 1 ? wanted : wanted + "_" + n;
            boolean empty = BackupFolders.Folder.list(storage, candidate).objects().isEmpty();
            if (empty && storage.createIfAbsent(RepositoryLayout.claimKey(candidate), new ByteArrayInputStream(content))) {
                if (n > 1) {
                    log.printf("walstash: %s is taken (another backup started in the same WAL segment, or one"
                            + " that died left its objects): naming this backup %s%n", wanted, candidate);
                }
                return new BackupClaim(storage, candidate);
            }
        }
        throw new IOException("backups " + wanted + " to " + wanted + "_" + MAX_SUFFIX + " are all taken; run"
                + " delete garbage to remove unfinished ones, or switch WAL (pg_switch_wal()) and try again");
    }

    public String name() {
        return name;
    }

    /**
     * Removes what this run uploaded, the claim last, unless the manifest is there (a committed
     * backup is never removed).
     */
    public void discard() throws IOException {
        if (storage.stat(RepositoryLayout.manifestKey(name)).isPresent()) {
            return;
        }
        storage.deleteAll(BackupFolders.Folder.list(storage, name).keysExcept(RepositoryLayout.claimKey(name)));
        storage.delete(RepositoryLayout.claimKey(name));
    }
}
