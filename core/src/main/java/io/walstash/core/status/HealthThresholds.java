package io.walstash.core.status;

import io.walstash.core.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The limits a repository is judged by; an absent limit is not checked, so without any the
 * repository is always healthy.
 *
 * @param maxBackupAge  the newest backup may have stopped at most this long ago (no backup at all crosses it)
 * @param maxArchiveLag the newest archived segment may be at most this old; PostgreSQL's archiver
 *                      failing since its last success, or a spooled file waiting longer, also cross it
 */
public record HealthThresholds(Optional<Duration> maxBackupAge, Optional<Duration> maxArchiveLag) {
    public static final String MAX_BACKUP_AGE = "max-backup-age";
    public static final String MAX_ARCHIVE_LAG = "max-archive-lag";

    public HealthThresholds {
        Objects.requireNonNull(maxBackupAge, "maxBackupAge");
        Objects.requireNonNull(maxArchiveLag, "maxArchiveLag");
    }

    public static HealthThresholds none() {
        return new HealthThresholds(Optional.empty(), Optional.empty());
    }

    /**
     * One crossed threshold.
     *
     * @param threshold {@link #MAX_BACKUP_AGE} or {@link #MAX_ARCHIVE_LAG}
     * @param message   one line naming the threshold, its limit and what crossed it
     */
    public record Breach(String threshold, String message) {
    }

    /** Every threshold {@code status} crosses, in a stable order; empty means healthy. */
    public List<Breach> evaluate(RepositoryStatus status) {
        List<Breach> breaches = new ArrayList<>();
        maxBackupAge.ifPresent(limit -> {
            String prefix = MAX_BACKUP_AGE + " " + Durations.format(limit) + " crossed: ";
            if (status.backups().newest().isEmpty()) {
                breaches.add(new Breach(MAX_BACKUP_AGE, prefix + "there is no backup in " + status.storage()));
            } else {
                RepositoryStatus.Newest newest = status.backups().newest().get();
                if (newest.age().compareTo(limit) > 0) {
                    breaches.add(new Breach(MAX_BACKUP_AGE, prefix + "the newest backup " + newest.name()
                            + " stopped " + Durations.approximate(newest.age()) + " ago"));
                }
            }
        });
        maxArchiveLag.ifPresent(limit -> {
            String prefix = MAX_ARCHIVE_LAG + " " + Durations.format(limit) + " crossed: ";
            Optional<RepositoryStatus.Archived> last = status.wal().lastArchived();
            if (last.isEmpty()) {
                breaches.add(new Breach(MAX_ARCHIVE_LAG, prefix + "no WAL segment is archived in " + status.storage()));
            } else if (last.get().age().compareTo(limit) > 0) {
                breaches.add(new Breach(MAX_ARCHIVE_LAG, prefix + "the last archived segment " + last.get().name()
                        + " was stored " + Durations.approximate(last.get().age()) + " ago"));
            }
            if (status.archiver().orElse(null) instanceof PgArchiver.Stats stats && stats.failingSinceLastSuccess()) {
                breaches.add(new Breach(MAX_ARCHIVE_LAG, prefix + "PostgreSQL's archiver is failing: "
                        + stats.lastFailedWal().orElse("a WAL file") + " failed at " + stats.lastFailedTime().get()
                        + " (" + stats.failedCount() + " failures in total), after the last success"
                        + stats.lastArchivedWal().map(w -> " " + w).orElse("")));
            }
            status.spool().flatMap(RepositoryStatus.Spool::oldestAge).filter(age -> age.compareTo(limit) > 0)
                    .ifPresent(age -> breaches.add(new Breach(MAX_ARCHIVE_LAG, prefix + "a spooled WAL file in "
                            + status.spool().get().directory() + " has waited " + Durations.approximate(age)
                            + " (" + status.spool().get().files() + " files waiting)")));
        });
        return List.copyOf(breaches);
    }
}
