package io.walstash.core.maintain;

import io.walstash.core.archive.RepositoryIdentity;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.BackupPush;
import io.walstash.core.codec.Codecs;
import io.walstash.core.retention.RepositoryListing;
import io.walstash.core.retention.RetentionExecutor;
import io.walstash.core.retention.RetentionPlanner;
import io.walstash.core.retention.RetentionPolicy;
import io.walstash.core.status.HealthThresholds;
import io.walstash.core.status.RepositoryStatus;
import io.walstash.core.status.StatusReport;
import io.walstash.core.storage.Storage;
import io.walstash.core.verify.BackupReport;
import io.walstash.core.verify.BackupVerifier;
import io.walstash.core.verify.Verdict;
import io.walstash.core.verify.WalChainReport;
import io.walstash.core.verify.WalChainVerifier;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One scheduled maintenance run, as the seed's cron lines did it with four commands: a base backup
 * (full or delta as {@link BackupPush} decides from its options), retention, verification of the new
 * backup and of the WAL chain, and a status report. Each step runs the existing service; this
 * class only orders them and records each one's outcome, so the front end can print, exit and
 * notify once for the whole run.
 *
 * <p>Retention runs only after a backup that succeeded: deleting old backups when the new one
 * failed could leave fewer restorable backups than the policy promises. Verification and status
 * still run after a failed backup, because an operator wants to know what the repository holds.
 */
public final class MaintenanceService {
    /** The steps, in the order they run; a front end's exit-code rule may use this order. */
    public enum Step {
        BACKUP("backup"), RETENTION("retention"), BACKUP_VERIFY("backup verification"), WAL_VERIFY("WAL verification"),
        STATUS("status");

        private final String label;

        Step(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** How one step ended. */
    public sealed interface Outcome permits BackedUp, Retained, BackupVerified, WalVerified, Status, Failed, Skipped {
        Step step();

        /** Whether the step found nothing wrong. */
        boolean passed();

        /** One line for the summary, free of secrets. */
        String summary();
    }

    public record BackedUp(BackupManifest manifest) implements Outcome {
        public Step step() {
            return Step.BACKUP;
        }

        public boolean passed() {
            return true;
        }

        public String summary() {
            return (manifest.deltaBase() == null ? "full" : "delta") + " backup " + manifest.name() + " ("
                    + manifest.files().size() + " files, " + manifest.storedSize() + " bytes stored)";
        }
    }

    public record Retained(String policy, RetentionExecutor.Result result) implements Outcome {
        public Step step() {
            return Step.RETENTION;
        }

        public boolean passed() {
            return true;
        }

        public String summary() {
            return policy + ": deleted " + result.deletedFolders().size() + " backup folder(s) and " + result.walDeleted()
                    + " WAL object(s)" + (result.skipped().isEmpty() ? "" : ", skipped " + result.skipped().size());
        }
    }

    public record BackupVerified(BackupReport report) implements Outcome {
        public Step step() {
            return Step.BACKUP_VERIFY;
        }

        public boolean passed() {
            return report.passed();
        }

        public String summary() {
            return report.backups().stream().map(r -> r.name() + (r.passed() ? " verified" : " FAILED: " + r.corrupt().size()
                    + " corrupt object(s), " + r.missingWal().size() + " WAL segment(s) missing, " + r.corruptWal().size()
                    + " corrupt WAL")).reduce((a, b) -> a + "; " + b).orElse("no backup");
        }
    }

    public record WalVerified(WalChainReport report) implements Outcome {
        public Step step() {
            return Step.WAL_VERIFY;
        }

        public boolean passed() {
            return report.corrupt().isEmpty() && !(report.verdict() instanceof Verdict.Broken);
        }

        public String summary() {
            String why = report.verdict() instanceof Verdict.Broken broken ? ": " + String.join("; ", broken.reasons()) : "";
            return report.verdict().status() + ", " + report.missingSegments() + " missing, " + report.corrupt().size()
                    + " corrupt" + why;
        }
    }

    public record Status(StatusReport report) implements Outcome {
        public Step step() {
            return Step.STATUS;
        }

        public boolean passed() {
            return report.healthy();
        }

        public String summary() {
            RepositoryStatus s = report.status();
            String base = s.backups().count() + " backup(s), " + s.wal().segments() + " WAL segment(s)"
                    + s.wal().lastArchived().map(a -> ", last archived " + a.name()).orElse("");
            return report.healthy() ? base
                    : base + "; unhealthy: " + String.join("; ", report.breaches().stream().map(HealthThresholds.Breach::message).toList());
        }
    }

    /** A step that threw; {@code cause} is for the front end to classify, its message is already an error line's text. */
    public record Failed(Step step, Exception cause) implements Outcome {
        public Failed {
            Objects.requireNonNull(cause, "cause");
        }

        public boolean passed() {
            return false;
        }

        public String summary() {
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            return "failed: " + message.lines().findFirst().orElse(message);
        }
    }

    public record Skipped(Step step, String why) implements Outcome {
        public boolean passed() {
            return true;
        }

        public String summary() {
            return "skipped: " + why;
        }
    }

    /** The whole run, in step order. */
    public record Report(List<Outcome> outcomes) {
        public Report {
            outcomes = List.copyOf(outcomes);
        }

        public boolean passed() {
            return outcomes.stream().allMatch(Outcome::passed);
        }

        /** The first step that did not pass, in run order. */
        public Optional<Outcome> firstProblem() {
            return outcomes.stream().filter(o -> !o.passed()).findFirst();
        }

        /** One line per step: {@code backup: full backup base_… (…)}. */
        public List<String> lines() {
            return outcomes.stream().map(o -> o.step().label() + ": " + o.summary()).toList();
        }
    }

    /** Opens the PostgreSQL connection backup-push uses (the front end knows how it is configured). */
    public interface ConnectionOpener {
        Connection open() throws Exception;
    }

    /**
     * What to do.
     *
     * @param backup     what backup-push would be given (full or delta is decided from its delta max steps)
     * @param retention  the policy, or empty to skip retention
     * @param thresholds the status step's health thresholds
     * @param lateWindow WAL verification's window in which a missing segment is late, not lost
     */
    public record Plan(BackupPush.Options backup, Optional<RetentionPolicy> retention, HealthThresholds thresholds,
                       Duration lateWindow, int downloadConcurrency) {
        public Plan {
            Objects.requireNonNull(backup, "backup");
            Objects.requireNonNull(retention, "retention");
            Objects.requireNonNull(thresholds, "thresholds");
            Objects.requireNonNull(lateWindow, "lateWindow");
        }
    }

    private final WalArchive archive;
    private final BackupPush push;
    private final Codecs codecs;
    private final PrintWriter log;
    private final Clock clock;

    /** {@code push} writes into {@code archive}'s storage; {@code log} receives the services' progress lines. */
    public MaintenanceService(WalArchive archive, BackupPush push, Codecs codecs, PrintWriter log, Clock clock) {
        this.archive = archive;
        this.push = push;
        this.codecs = codecs;
        this.log = log;
        this.clock = clock;
    }

    /** Runs every step; never throws for a step that fails (that is its {@link Failed} outcome). */
    public Report run(Plan plan, ConnectionOpener postgres) {
        List<Outcome> outcomes = new ArrayList<>();
        Storage storage = archive.storage();
        Outcome backup = step(Step.BACKUP, () -> {
            try (Connection connection = postgres.open()) {
                RepositoryIdentity.requireServes(archive, connection);
                return new BackedUp(push.push(connection, plan.backup()));
            }
        });
        outcomes.add(backup);
        if (plan.retention().isEmpty()) {
            outcomes.add(new Skipped(Step.RETENTION, "no retention policy configured"));
        } else if (!backup.passed()) {
            outcomes.add(new Skipped(Step.RETENTION, "the backup failed; nothing is deleted after a failed backup"));
        } else {
            RetentionPolicy policy = plan.retention().get();
            outcomes.add(step(Step.RETENTION, () -> new Retained(policy.describe(), new RetentionExecutor(storage)
                    .execute(RetentionPlanner.plan(policy, RepositoryListing.scan(storage), clock.instant()),
                            RetentionExecutor.Progress.NONE))));
        }
        int concurrency = Math.max(1, plan.downloadConcurrency());
        if (backup instanceof BackedUp backedUp) {
            outcomes.add(step(Step.BACKUP_VERIFY, () -> new BackupVerified(
                    new BackupVerifier(storage, codecs, concurrency, log).verify(List.of(backedUp.manifest()), null))));
        } else {
            outcomes.add(new Skipped(Step.BACKUP_VERIFY, "no new backup to verify"));
        }
        outcomes.add(step(Step.WAL_VERIFY, () -> new WalVerified(
                new WalChainVerifier(storage, codecs, clock).verify(plan.lateWindow(), false, concurrency))));
        outcomes.add(step(Step.STATUS, () -> new Status(StatusReport.of(
                RepositoryStatus.gather(storage, Optional.empty(), Optional.empty(), clock), plan.thresholds()))));
        return new Report(outcomes);
    }

    private interface Action {
        Outcome run() throws Exception;
    }

    private static Outcome step(Step step, Action action) {
        try {
            return action.run();
        } catch (Exception e) {
            return new Failed(step, e);
        }
    }
}
