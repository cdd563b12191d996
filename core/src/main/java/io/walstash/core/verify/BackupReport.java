package io.walstash.core.verify;

import java.util.List;

/** What {@link BackupVerifier} found for each backup it checked. */
public record BackupReport(List<Result> backups) {
    public BackupReport {
        backups = List.copyOf(backups);
    }

    /**
     * One backup.
     *
     * @param chain          the backups it is restored from, full first, itself last
     * @param objectsChecked distinct stored objects (a bundle's members each counted) read and matched
     *                       against their manifests
     * @param corrupt        objects missing, of the wrong size, failing their checksum or not decoding
     * @param missingWal     segments from the backup's start to its stop LSN that are not archived
     * @param corruptWal     archived segments of that range that fail their checks
     * @param restoreTest    the restore test's result, or null when none ran
     * @param restoreSkipped why no restore test ran although one was asked for, or null
     */
    public record Result(String name, List<String> chain, long objectsChecked, long plainBytes,
                         List<CorruptObject> corrupt, List<String> missingWal, List<CorruptObject> corruptWal,
                         RestoreTest.Result restoreTest, String restoreSkipped) {
        public Result {
            chain = List.copyOf(chain);
            corrupt = List.copyOf(corrupt);
            missingWal = List.copyOf(missingWal);
            corruptWal = List.copyOf(corruptWal);
        }

        public boolean passed() {
            return corrupt.isEmpty() && missingWal.isEmpty() && corruptWal.isEmpty()
                    && (restoreTest == null || restoreTest.passed()) && restoreSkipped == null;
        }
    }

    public boolean passed() {
        return backups.stream().allMatch(Result::passed);
    }
}
