package io.walstash.core.backup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which stored objects make up each file of a backup: the newest backup of its chain that stored
 * the file whole, then the deltas after it, oldest first. Restoring and verifying a backup read
 * exactly these objects.
 */
public final class ChainFiles {
    private final List<Map<String, BackupManifest.FileEntry>> steps;

    private ChainFiles(List<Map<String, BackupManifest.FileEntry>> steps) {
        this.steps = steps;
    }

    /** @param chain full backup first, the backup to restore last ({@link BackupCatalog#chain}) */
    public static ChainFiles of(List<BackupManifest> chain) {
        List<Map<String, BackupManifest.FileEntry>> steps = new ArrayList<>();
        for (BackupManifest m : chain) {
            Map<String, BackupManifest.FileEntry> byPath = new HashMap<>();
            m.files().forEach(f -> byPath.put(f.path(), f));
            steps.add(byPath);
        }
        return new ChainFiles(steps);
    }

    /**
     * The entries to apply, in order, to restore {@code path} as the last backup of the chain has it.
     *
     * @throws IOException when the file is a delta and no earlier backup holds it whole
     */
    public List<BackupManifest.FileEntry> sources(String path) throws IOException {
        List<BackupManifest.FileEntry> applied = new ArrayList<>();
        for (int i = steps.size() - 1; i >= 0; i--) {
            BackupManifest.FileEntry entry = steps.get(i).get(path);
            if (entry == null) {
                throw new IOException("the delta chain is broken: " + path + " is stored as a delta,"
                        + " but no earlier backup holds the whole file");
            }
            applied.add(0, entry);
            if (!entry.delta()) {
                break;
            }
        }
        return applied;
    }
}
