package io.walstash.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.Durations;
import io.walstash.core.maintain.MaintenanceSettings;
import io.walstash.core.progress.WorkProgress;
import io.walstash.core.retention.RepositoryListing;
import io.walstash.core.retention.RetentionExecutor;
import io.walstash.core.retention.RetentionPlan;
import io.walstash.core.retention.RetentionPlanner;
import io.walstash.core.retention.RetentionPolicies;
import io.walstash.core.retention.RetentionPolicy;
import io.walstash.core.retention.WalObject;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "delete", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Delete old backups and the WAL only they needed. Every form is a dry run that prints exactly what " +
                "would go unless --confirm is given. Backups are ordered by the time they finished, never by name. " +
                "Permanent backups (backup-mark) and the backups they are built on are always kept and not counted; a" +
                " kept delta keeps its whole chain. WAL before the start of the earliest backup the policy keeps is " +
                "deleted, except what a kept backup needs from its start to its stop and timeline history files. A " +
                "run that was interrupted is finished by the next delete."},
        subcommands = {DeleteCommand.Retain.class, DeleteCommand.Before.class, DeleteCommand.Everything.class,
                DeleteCommand.Garbage.class})
final class DeleteCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "delete needs retain, before, everything or garbage; see walstash delete --help");
    }

    /** What every form of delete shares. */
    static final class Shared {
        @Mixin
        ConfigOptions config;

        @Option(names = "--confirm", description = "Really delete (without it: a dry run that prints the plan)")
        boolean confirm;

        @Option(names = {"-v", "--verbose"}, description = "Print every object key that goes")
        boolean verbose;

        @Option(names = "--json", description = "Print the plan (and with --confirm, the result) as JSON, every key included")
        boolean json;

        /** Plans with {@code planner} and prints (or carries out) the plan; {@code policy} is how this command line wrote it. */
        int run(CommandSpec spec, String policy, Function<RepositoryListing, RetentionPlan> planner) throws IOException {
            Configuration configuration = config.load();
            try (Storage storage = config.open(configuration)) {
                return run(spec.commandLine().getOut(), storage, policy, planner,
                        ProgressLine.forStderr(spec.commandLine().getErr(), configuration.settings()));
            }
        }

        private int run(PrintWriter out, Storage storage, String policy, Function<RepositoryListing, RetentionPlan> planner,
                        WorkProgress work) throws IOException {
            RetentionPlan plan = planner.apply(RepositoryListing.scan(storage));
            if (json) {
                Map<String, Object> document = planJson(policy, plan);
                if (confirm) {
                    RetentionExecutor.Result result = new RetentionExecutor(storage).execute(plan, RetentionExecutor.Progress.NONE, work);
                    document.put("result", Map.of("deleted_backup_folders", result.deletedFolders(),
                            "skipped", result.skipped(), "deleted_wal_objects", result.walDeleted()));
                }
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(document));
                out.flush();
                return ExitCode.OK.code();
            }
            printPlan(out, policy, plan);
            if (!confirm) {
                out.printf("dry run: nothing was deleted; add --confirm to delete%n");
                out.flush();
                return ExitCode.OK.code();
            }
            RetentionExecutor.Result result = new RetentionExecutor(storage).execute(plan, new RetentionExecutor.Progress() {
                @Override
                public void folderDeleted(String name, int objects) {
                    out.printf("deleted %s%n", name);
                    out.flush();
                }

                @Override
                public void skipped(String name, String why) {
                    out.printf("skipped %s: %s%n", name, why);
                }
            }, work);
            out.printf("deleted %d backup folder(s) and %d WAL object(s)%n", result.deletedFolders().size(), result.walDeleted());
            out.flush();
            return ExitCode.OK.code();
        }

        private void printPlan(PrintWriter out, String policy, RetentionPlan plan) {
            out.printf("delete %s%n", policy);
            for (RetentionPlan.Kept k : plan.kept()) {
                out.printf("  keep    %-60s %-5s finished %s: %s%n", k.backup().name(), k.backup().isDelta() ? "delta" : "full",
                        k.backup().stopTime(), k.reason());
            }
            for (RetentionPlan.Deletion d : plan.deletions()) {
                String kind = d.backup() == null ? "-" : d.backup().isDelta() ? "delta" : "full";
                String finished = d.backup() == null ? "" : " finished " + d.backup().stopTime();
                out.printf("  DELETE  %-60s %-5s%s, %d objects, %s: %s%n", d.name(), kind, finished, d.objects().size(),
                        bytes(d.bytes()), d.reason());
                if (verbose) {
                    d.objects().forEach(o -> out.printf("            %s%n", o.key()));
                }
            }
            if (plan.wal().isEmpty()) {
                out.printf("  WAL: nothing to delete%n");
            } else {
                out.printf("  WAL: DELETE %d objects, %s%n", plan.wal().size(), bytes(plan.walBytes()));
                for (RetentionPlan.WalRange r : plan.walRanges()) {
                    out.printf("    timeline %d: %s .. %s, %d objects, %s%n", r.timeline(), r.first(), r.last(), r.files(),
                            bytes(r.bytes()));
                }
                if (verbose) {
                    plan.wal().forEach(w -> out.printf("            %s%n", w.key()));
                }
            }
            plan.notes().forEach(n -> out.printf("  note: %s%n", n));
            out.printf("total: %d backup folder(s), %s; %d WAL object(s), %s%n", plan.deletions().size(),
                    bytes(plan.backupBytes()), plan.wal().size(), bytes(plan.walBytes()));
        }

        private Map<String, Object> planJson(String policy, RetentionPlan plan) {
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("policy", policy);
            document.put("dry_run", !confirm);
            List<Map<String, Object>> kept = new ArrayList<>();
            for (RetentionPlan.Kept k : plan.kept()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", k.backup().name());
                row.put("is_delta", k.backup().isDelta());
                row.put("finish_time", k.backup().stopTime().toString());
                row.put("reason", k.reason());
                kept.add(row);
            }
            document.put("keep", kept);
            List<Map<String, Object>> deletions = new ArrayList<>();
            for (RetentionPlan.Deletion d : plan.deletions()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("name", d.name());
                row.put("is_backup", d.backup() != null);
                if (d.backup() != null) {
                    row.put("is_delta", d.backup().isDelta());
                    row.put("finish_time", d.backup().stopTime().toString());
                }
                row.put("reason", d.reason());
                row.put("bytes", d.bytes());
                row.put("keys", d.objects().stream().map(ObjectInfo::key).toList());
                deletions.add(row);
            }
            document.put("delete_backups", deletions);
            Map<String, Object> wal = new LinkedHashMap<>();
            wal.put("objects", plan.wal().size());
            wal.put("bytes", plan.walBytes());
            wal.put("ranges", plan.walRanges());
            wal.put("keys", plan.wal().stream().map(WalObject::key).toList());
            document.put("delete_wal", wal);
            document.put("notes", plan.notes());
            return document;
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** {@code policy} as this command line writes it, such as {@code retain FULL 2 --window 7d}. */
    static String words(RetentionPolicy policy) {
        if (policy instanceof RetentionPolicy.Retain r) {
            return "retain" + (r.count() > 0 ? " " + r.scope() + " " + r.count() : "")
                    + (r.window() != null ? " --window " + Durations.format(r.window()) : "");
        }
        return policy.describe();
    }

    /** Planning throws NoSuchBackupException, checked; the planner function carries it out unchecked. */
    private static RetentionPlan plan(RetentionPolicy policy, RepositoryListing listing, Instant now) {
        try {
            return RetentionPlanner.plan(policy, listing, now);
        } catch (BackupCatalog.NoSuchBackupException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Command(name = "retain", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Keep the newest N backups (ALL, the default) or full backups (FULL, each with the deltas built on " +
                    "it), and/or every backup within --window plus the newest one before it, so any point in the window " +
                    "stays recoverable. Fewer backups than N: nothing is deleted.", "Examples: delete retain FULL 2 " +
                    "--confirm; delete retain --window 7d; delete retain 5 --window 14d"})
    static final class Retain implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Shared shared;

        @Parameters(arity = "0..2", paramLabel = "[FULL|ALL] N", description = "What to count and how many to keep")
        List<String> args = new ArrayList<>();

        @Option(names = "--window", paramLabel = "DURATION",
                description = "Also keep what finished within this long before now, e.g. 7d, 12h, 30m, 1d12h")
        String window;

        @Override
        public Integer call() throws Exception {
            RetentionPolicy policy = policy(MaintenanceSettings.RETAIN_BACKUPS.find(shared.config.load().settings()));
            return shared.run(spec, words(policy), listing -> plan(policy, listing, Instant.now()));
        }

        /** The policy the arguments give; {@code configuredCount} (WALSTASH_RETAIN_BACKUPS) when they name no count. */
        RetentionPolicy policy(Optional<Integer> configuredCount) {
            RetentionPolicies.Reading reading = RetentionPolicies.retain(args, Optional.ofNullable(window), configuredCount);
            if (reading instanceof RetentionPolicies.Read read) {
                return read.policy();
            }
            RetentionPolicies.Malformed malformed = (RetentionPolicies.Malformed) reading;
            switch (malformed.problem()) {
                case NOT_SCOPE_AND_COUNT -> throw new ParameterException(spec.commandLine(),
                        "expected retain [FULL|ALL] N [--window DURATION], not retain " + malformed.value());
                case COUNT_NOT_A_NUMBER -> throw new IllegalArgumentException("retain needs a number of backups, not '"
                        + malformed.value() + "'");
                case COUNT_BELOW_ONE -> throw new IllegalArgumentException("retain needs a number of backups of at least 1, not "
                        + Integer.parseInt(malformed.value()) + " (delete everything deletes all)");
                default -> throw new ParameterException(spec.commandLine(),
                        "retain needs a number of backups N, a --window, or both (or WALSTASH_RETAIN_BACKUPS set)");
            }
        }
    }

    @Command(name = "before", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Delete the backups older than backup NAME (NAME itself is kept), or those that finished before TIME:" +
                    " an ISO-8601 instant (2026-11-20T08:00:00Z, or with an offset) or a date (2026-11-20, midnight UTC)." +
                    " Refuses to delete every backup (use delete everything). NAME not found: exit 74."})
    static final class Before implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Shared shared;

        @Parameters(index = "0", paramLabel = "NAME|TIME", description = "A backup name or a time")
        String target;

        @Override
        public Integer call() throws Exception {
            RetentionPolicy policy = RetentionPolicies.before(target);
            return shared.run(spec, words(policy), listing -> plan(policy, listing, Instant.now()));
        }
    }

    @Command(name = "everything", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Delete every backup and all WAL, except permanent backups and what they need (timeline history files" +
                    " go too when no permanent backup stays)."})
    static final class Everything implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Shared shared;

        @Override
        public Integer call() throws Exception {
            RetentionPolicy policy = new RetentionPolicy.Everything();
            return shared.run(spec, words(policy), listing -> plan(policy, listing, Instant.now()));
        }
    }

    @Command(name = "garbage", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Delete what belongs to no backup: folders an interrupted delete marked; folders without a manifest " +
                    "whose newest object is older than --grace (a backup-push that is still running has no manifest yet: " +
                    "make the grace longer than your longest backup); WAL before the start of the earliest backup " +
                    "(timeline history files stay). Backups themselves are not touched."})
    static final class Garbage implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Shared shared;

        @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "24h",
                description = "Leave folders without a manifest alone while written to within this long, default ${DEFAULT-VALUE}")
        String grace;

        @Override
        public Integer call() throws Exception {
            Duration duration = Durations.parse(grace);
            return shared.run(spec, "garbage --grace " + Durations.format(duration),
                    listing -> RetentionPlanner.garbage(listing, Instant.now(), duration));
        }
    }
}
