package io.walstash.core.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.walstash.core.config.Durations;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A {@link RepositoryStatus} judged by {@link HealthThresholds}, written as aligned text for people,
 * JSON with stable snake_case names for scripts, or Prometheus text exposition format 0.0.4.
 */
public record StatusReport(RepositoryStatus status, HealthThresholds thresholds, List<HealthThresholds.Breach> breaches,
                           Optional<ReceiverLag> receiver) {

    public StatusReport {
        breaches = List.copyOf(breaches);
        java.util.Objects.requireNonNull(receiver, "receiver");
    }

    public static StatusReport of(RepositoryStatus status, HealthThresholds thresholds) {
        return of(status, thresholds, Optional.empty());
    }

    /** With the lag of wal-receive's slot as its server sees it (a connection is configured and the slot exists). */
    public static StatusReport of(RepositoryStatus status, HealthThresholds thresholds, Optional<ReceiverLag> receiver) {
        return new StatusReport(status, thresholds, thresholds.evaluate(status), receiver);
    }

    public boolean healthy() {
        return breaches.isEmpty();
    }

    // ---- text ----

    /** Aligned lines, one fact each; ends with a newline. */
    public String text() {
        StringBuilder out = new StringBuilder();
        line(out, "storage", status.storage());
        RepositoryStatus.Wal wal = status.wal();
        line(out, "last archived", wal.lastArchived()
                .map(a -> a.name() + ", stored " + Durations.approximate(a.age()) + " ago (" + a.modified() + ")")
                .orElse("none"));
        line(out, "wal", wal.segments() + " segments, " + wal.objects() + " objects, " + bytes(wal.storedBytes()) + " stored");
        RepositoryStatus.Backups backups = status.backups();
        line(out, "backups", backups.count() + (backups.unfinished() > 0 ? " (+" + backups.unfinished() + " unfinished)" : "")
                + ", " + bytes(backups.storedBytes()) + " stored");
        line(out, "newest backup", backups.newest()
                .map(n -> n.name() + ", stopped " + Durations.approximate(n.age()) + " ago (" + n.stopTime() + ")")
                .orElse("none"));
        for (RepositoryStatus.BackupSize b : backups.list()) {
            line(out, "  " + (b.delta() ? "delta" : "full") + (b.permanent() ? ", permanent" : ""),
                    b.name() + "  " + bytes(b.storedBytes()) + "  " + b.stopTime());
        }
        status.encryption().ifPresent(e -> line(out, "encryption", "on since " + e.since() + " (keyring generation "
                + e.keyringGeneration() + "); " + (e.clearObjects() == 0 ? "no object stored clear"
                : e.clearObjects() + " objects, " + bytes(e.clearBytes()) + " still stored clear (written before)")));
        status.spool().ifPresent(s -> line(out, "spool", s.directory() + ": " + s.files() + " files, " + bytes(s.bytes())
                + s.oldestAge().map(a -> ", oldest waiting " + Durations.approximate(a)).orElse("")));
        status.archiver().ifPresent(a -> {
            if (a instanceof PgArchiver.Stats st) {
                line(out, "pg_stat_archiver", "archived " + st.archivedCount()
                        + st.lastArchivedWal().map(w -> ", last " + w).orElse("")
                        + st.lastArchivedTime().map(t -> " at " + t).orElse("")
                        + "; failed " + st.failedCount()
                        + st.lastFailedWal().map(w -> ", last " + w).orElse("")
                        + st.lastFailedTime().map(t -> " at " + t).orElse(""));
            } else {
                line(out, "pg_stat_archiver", "unavailable: " + ((PgArchiver.Unavailable) a).reason());
            }
        });
        receiver.ifPresent(r -> line(out, "wal receiver", "slot " + r.slot() + ": " + (r.streaming() ? "streaming" : "NOT streaming")
                + ", " + r.lagBytes() + " bytes behind"
                + (r.lagSeconds().isPresent() ? String.format(Locale.ROOT, ", flush lag %.3f s", r.lagSeconds().getAsDouble()) : "")));
        thresholds.maxBackupAge().ifPresent(d -> line(out, HealthThresholds.MAX_BACKUP_AGE, Durations.format(d)));
        thresholds.maxArchiveLag().ifPresent(d -> line(out, HealthThresholds.MAX_ARCHIVE_LAG, Durations.format(d)));
        line(out, "health", healthy() ? "healthy" : "UNHEALTHY (" + breaches.size() + " threshold"
                + (breaches.size() == 1 ? "" : "s") + " crossed)");
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format(Locale.ROOT, "%-18s %s%n", label, value));
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    // ---- JSON ----

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One JSON object; times are ISO-8601 instants, ages and limits whole seconds, absent facts null. */
    public String json() {
        ObjectNode root = JSON.createObjectNode();
        root.put("storage", status.storage());
        root.put("observed_at", status.observedAt().toString());
        root.put("healthy", healthy());
        ObjectNode limits = root.putObject("thresholds");
        limits.put("max_backup_age_seconds", thresholds.maxBackupAge().map(Duration::toSeconds).orElse(null));
        limits.put("max_archive_lag_seconds", thresholds.maxArchiveLag().map(Duration::toSeconds).orElse(null));
        var crossed = root.putArray("breaches");
        breaches.forEach(b -> crossed.addObject().put("threshold", b.threshold()).put("message", b.message()));

        ObjectNode wal = root.putObject("wal");
        wal.put("objects", status.wal().objects());
        wal.put("segments", status.wal().segments());
        wal.put("stored_bytes", status.wal().storedBytes());
        status.wal().lastArchived().ifPresentOrElse(a -> wal.putObject("last_archived")
                        .put("name", a.name()).put("key", a.key()).put("modified", a.modified().toString())
                        .put("age_seconds", a.age().toSeconds()),
                () -> wal.putNull("last_archived"));

        ObjectNode backups = root.putObject("backups");
        backups.put("count", status.backups().count());
        backups.put("unfinished", status.backups().unfinished());
        backups.put("stored_bytes", status.backups().storedBytes());
        status.backups().newest().ifPresentOrElse(n -> backups.putObject("newest")
                        .put("name", n.name()).put("stop_time", n.stopTime().toString()).put("age_seconds", n.age().toSeconds()),
                () -> backups.putNull("newest"));
        var list = backups.putArray("list");
        status.backups().list().forEach(b -> list.addObject().put("name", b.name()).put("delta", b.delta())
                .put("permanent", b.permanent()).put("stop_time", b.stopTime().toString()).put("stored_bytes", b.storedBytes()));

        status.encryption().ifPresentOrElse(e -> root.putObject("encryption")
                        .put("keyring_generation", e.keyringGeneration()).put("since", e.since().toString())
                        .put("clear_objects", e.clearObjects()).put("clear_bytes", e.clearBytes()),
                () -> root.putNull("encryption"));

        status.spool().ifPresentOrElse(s -> root.putObject("spool").put("directory", s.directory())
                        .put("files", s.files()).put("bytes", s.bytes())
                        .put("oldest_age_seconds", s.oldestAge().map(Duration::toSeconds).orElse(null)),
                () -> root.putNull("spool"));

        status.archiver().ifPresentOrElse(a -> {
            ObjectNode pg = root.putObject("pg_stat_archiver");
            if (a instanceof PgArchiver.Stats st) {
                pg.put("archived_count", st.archivedCount());
                pg.put("last_archived_wal", st.lastArchivedWal().orElse(null));
                pg.put("last_archived_time", st.lastArchivedTime().map(Instant::toString).orElse(null));
                pg.put("failed_count", st.failedCount());
                pg.put("last_failed_wal", st.lastFailedWal().orElse(null));
                pg.put("last_failed_time", st.lastFailedTime().map(Instant::toString).orElse(null));
                pg.put("failing", st.failingSinceLastSuccess());
            } else {
                pg.put("error", ((PgArchiver.Unavailable) a).reason());
            }
        }, () -> root.putNull("pg_stat_archiver"));

        receiver.ifPresentOrElse(r -> root.putObject("wal_receiver").put("slot", r.slot()).put("streaming", r.streaming())
                        .put("lag_bytes", r.lagBytes())
                        .put("flush_lag_seconds", r.lagSeconds().isPresent() ? r.lagSeconds().getAsDouble() : null),
                () -> root.putNull("wal_receiver"));
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- Prometheus ----

    /**
     * Prometheus text exposition format 0.0.4: {@code # HELP} and {@code # TYPE} before each metric,
     * every sample labelled with the credential-free {@code storage}. Facts that don't exist (no
     * archived segment, no backup) are left out rather than given a made-up value.
     */
    public String prometheus() {
        Metrics m = new Metrics(status.storage());
        m.gauge("walstash_healthy", "1 when no health threshold is crossed, else 0", healthy() ? 1 : 0);
        status.wal().lastArchived().ifPresent(a -> {
            m.gauge("walstash_last_archived_age_seconds", "Age of the newest archived WAL segment's object", seconds(a.age()));
            m.gauge("walstash_last_archived_timestamp_seconds", "When the newest archived WAL segment was stored",
                    seconds(a.modified()));
        });
        m.gauge("walstash_wal_segments", "WAL segments in the repository", status.wal().segments());
        m.gauge("walstash_wal_objects", "WAL objects (segments, partial, history, backup-history files)", status.wal().objects());
        m.gauge("walstash_wal_stored_bytes", "Stored size of the WAL objects", status.wal().storedBytes());
        m.gauge("walstash_backups", "Finished backups", status.backups().count());
        m.gauge("walstash_backups_unfinished", "Backup folders without a manifest (running or abandoned)",
                status.backups().unfinished());
        m.gauge("walstash_backups_stored_bytes", "Stored size of everything under backups/", status.backups().storedBytes());
        status.backups().newest().ifPresent(n -> {
            m.gauge("walstash_newest_backup_age_seconds", "Time since the newest backup stopped", seconds(n.age()));
            m.gauge("walstash_newest_backup_timestamp_seconds", "When the newest backup stopped", seconds(n.stopTime()));
        });
        if (!status.backups().list().isEmpty()) {
            m.header("walstash_backup_stored_bytes", "Stored size of one backup's own objects", "gauge");
            status.backups().list().forEach(b -> m.sample("walstash_backup_stored_bytes",
                    "backup", b.name(), Long.toString(b.storedBytes())));
        }
        status.encryption().ifPresent(e -> {
            m.gauge("walstash_clear_objects", "Objects holding content still stored clear in an encrypted repository",
                    e.clearObjects());
            m.gauge("walstash_clear_bytes", "Stored size of those clear objects", e.clearBytes());
        });
        status.spool().ifPresent(s -> {
            m.gauge("walstash_spool_segments", "WAL files waiting in the spool", s.files());
            m.gauge("walstash_spool_bytes", "Size of the WAL files waiting in the spool", s.bytes());
            m.gauge("walstash_spool_oldest_age_seconds", "How long the oldest spooled WAL file has waited (0 when none)",
                    s.oldestAge().map(StatusReport::seconds).orElse("0"));
        });
        status.archiver().ifPresent(a -> {
            m.gauge("walstash_pg_archiver_up", "1 when pg_stat_archiver could be read", a instanceof PgArchiver.Stats ? 1 : 0);
            if (a instanceof PgArchiver.Stats st) {
                m.counter("walstash_pg_archiver_archived_total", "pg_stat_archiver.archived_count", st.archivedCount());
                m.counter("walstash_pg_archiver_failed_total", "pg_stat_archiver.failed_count", st.failedCount());
                st.lastArchivedTime().ifPresent(t -> m.gauge("walstash_pg_archiver_last_archived_timestamp_seconds",
                        "pg_stat_archiver.last_archived_time", seconds(t)));
                st.lastFailedTime().ifPresent(t -> m.gauge("walstash_pg_archiver_last_failed_timestamp_seconds",
                        "pg_stat_archiver.last_failed_time", seconds(t)));
                m.gauge("walstash_pg_archiver_failing", "1 when the archiver's last attempt failed",
                        st.failingSinceLastSuccess() ? 1 : 0);
            }
        });
        receiver.ifPresent(r -> {
            m.header("walstash_receiver_streaming", "1 when a WAL receiver is connected to its slot", "gauge");
            m.sample("walstash_receiver_streaming", "slot", r.slot(), r.streaming() ? "1" : "0");
            m.header("walstash_receiver_lag_bytes", "WAL the server has that the repository does not (the slot's restart position)",
                    "gauge");
            m.sample("walstash_receiver_lag_bytes", "slot", r.slot(), Long.toString(r.lagBytes()));
            if (r.lagSeconds().isPresent()) {
                m.header("walstash_receiver_flush_lag_seconds", "The server's measure of the receiver's flush delay", "gauge");
                m.sample("walstash_receiver_flush_lag_seconds", "slot", r.slot(),
                        BigDecimal.valueOf(r.lagSeconds().getAsDouble()).setScale(3, java.math.RoundingMode.HALF_UP)
                                .stripTrailingZeros().toPlainString());
            }
        });
        List<String[]> limits = List.of(
                new String[] {HealthThresholds.MAX_BACKUP_AGE, thresholds.maxBackupAge().map(StatusReport::seconds).orElse(null)},
                new String[] {HealthThresholds.MAX_ARCHIVE_LAG, thresholds.maxArchiveLag().map(StatusReport::seconds).orElse(null)});
        if (limits.stream().anyMatch(l -> l[1] != null)) {
            m.header("walstash_threshold_seconds", "A configured health threshold", "gauge");
            limits.stream().filter(l -> l[1] != null).forEach(l -> m.sample("walstash_threshold_seconds", "threshold", l[0], l[1]));
            m.header("walstash_threshold_crossed", "1 when the health threshold is crossed", "gauge");
            limits.stream().filter(l -> l[1] != null).forEach(l -> m.sample("walstash_threshold_crossed", "threshold", l[0],
                    breaches.stream().anyMatch(b -> b.threshold().equals(l[0])) ? "1" : "0"));
        }
        return m.text();
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    private static String seconds(Instant t) {
        return BigDecimal.valueOf(t.toEpochMilli(), 3).stripTrailingZeros().toPlainString();
    }

    /** Writes the exposition text; every sample carries the storage label. */
    private static final class Metrics {
        private final StringBuilder out = new StringBuilder();
        private final String storage;

        Metrics(String storage) {
            this.storage = storage;
        }

        void gauge(String name, String help, long value) {
            gauge(name, help, Long.toString(value));
        }

        void gauge(String name, String help, String value) {
            header(name, help, "gauge");
            sample(name, null, null, value);
        }

        void counter(String name, String help, long value) {
            header(name, help, "counter");
            sample(name, null, null, Long.toString(value));
        }

        void header(String name, String help, String type) {
            out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        }

        void sample(String name, String label, String labelValue, String value) {
            out.append(name).append("{storage=\"").append(escapeLabel(storage)).append('"');
            if (label != null) {
                out.append(',').append(label).append("=\"").append(escapeLabel(labelValue)).append('"');
            }
            out.append("} ").append(value).append('\n');
        }

        String text() {
            return out.toString();
        }
    }

    /** Label values escape backslash, double quote and line feed (format 0.0.4). */
    static String escapeLabel(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** HELP text escapes backslash and line feed. */
    static String escapeHelp(String value) {
        return value.replace("\\", "\\\\").replace("\n", "\\n");
    }
}
