package io.walstash.core.retention;

import io.walstash.core.backup.BackupCatalog.NoSuchBackupException;
import io.walstash.core.config.Durations;
import io.walstash.core.retention.RetentionPlan.Deletion;
import io.walstash.core.retention.RetentionPlan.Kept;
import io.walstash.core.retention.RetentionPolicy.BeforeBackup;
import io.walstash.core.retention.RetentionPolicy.BeforeTime;
import io.walstash.core.retention.RetentionPolicy.Everything;
import io.walstash.core.retention.RetentionPolicy.Retain;
import io.walstash.core.retention.RetentionPolicy.Scope;
import io.walstash.core.wal.SegmentFileName;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides what {@code delete} removes: a pure function of the policy, one {@link RepositoryListing}
 * and the current time. The rules:
 * <ul>
 * <li>Backups are ordered by time (stop time, start time, then start LSN), never by name.</li>
 * <li>Permanent backups and the backups they are built on are always kept, and are not counted.</li>
 * <li>A kept delta keeps its whole base chain.</li>
 * <li>WAL before the start segment of the earliest backup the policy keeps (permanent ones aside) is
 * deleted, except the segments any kept backup needs from its start to its stop on its timeline
 * and timeline history files. {@code .partial} and {@code .backup} files go with their segment.
 * When the policy keeps no backup no WAL is deleted, except for {@code everything}, which deletes
 * history files too when no permanent backup stays.</li>
 * <li>Folders an interrupted delete marked are deleted first.</li>
 * </ul>
 */
public final class RetentionPlanner {
    /** Segment order ignoring the timeline: the order of (log, segment), i.e. of WAL positions. */
    static final Comparator<SegmentFileName> POSITION = Comparator.comparingLong(SegmentFileName::log)
            .thenComparingLong(SegmentFileName::segment);

    private RetentionPlanner() {
    }

    /**
     * The plan for {@code policy}.
     *
     * @throws NoSuchBackupException    {@code before NAME} names no finished backup
     * @throws IllegalArgumentException {@code before TIME} would delete every backup
     */
    public static RetentionPlan plan(RetentionPolicy policy, RepositoryListing listing, Instant now)
            throws NoSuchBackupException {
        History history = new History(listing.backups());
        Map<String, String> keptByPolicy = new LinkedHashMap<>();
        List<BackupEntry> candidates = history.ordered.stream().filter(b -> !history.isProtected(b)).toList();
        if (policy instanceof Retain r) {
            retain(r, history, candidates, now, keptByPolicy);
        } else if (policy instanceof BeforeBackup b) {
            BackupEntry named = history.byName.get(b.name());
            if (named == null) {
                throw new NoSuchBackupException("no backup named " + b.name() + " (delete before takes a finished backup's name or a time)");
            }
            keptByPolicy.put(named.name(), "named in delete before");
            history.ordered.stream().filter(e -> BackupEntry.TIME_ORDER.compare(e, named) > 0)
                    .forEach(e -> keptByPolicy.putIfAbsent(e.name(), "newer than " + named.name()));
        } else if (policy instanceof BeforeTime t) {
            history.ordered.stream().filter(e -> !e.stopTime().isBefore(t.time()))
                    .forEach(e -> keptByPolicy.put(e.name(), "finished at or after " + t.time()));
            if (keptByPolicy.isEmpty() && !candidates.isEmpty()) {
                throw new IllegalArgumentException("delete before " + t.time() + " would delete every backup (the newest finished "
                        + candidates.get(candidates.size() - 1).stopTime() + "); use delete everything if that is meant");
            }
        } else if (!(policy instanceof Everything)) {
            throw new IllegalStateException("unknown policy " + policy);
        }
        history.addChains(keptByPolicy, "base of kept ");

        Map<String, String> kept = new HashMap<>(keptByPolicy);
        kept.putAll(history.protectedReasons); // "permanent" says more than the policy's reason
        List<Kept> keptList = history.ordered.stream().filter(e -> kept.containsKey(e.name()))
                .map(e -> new Kept(e, kept.get(e.name()))).toList();

        List<Deletion> deletions = new ArrayList<>(markedFolders(listing));
        history.deletionOrder(history.ordered.stream().filter(e -> !kept.containsKey(e.name())).toList())
                .forEach(e -> deletions.add(new Deletion(e.name(), deletionReason(policy, e, history, now), e, e.objects())));

        List<String> notes = new ArrayList<>();
        List<BackupEntry> keptEntries = keptList.stream().map(Kept::backup).toList();
        List<WalObject> wal;
        boolean everything = policy instanceof Everything;
        if (everything) {
            wal = walBefore(listing.wal(), null, keptEntries, keptEntries.isEmpty());
            notes.add(keptEntries.isEmpty() ? "all WAL goes, timeline history files included"
                    : "all WAL goes except what the permanent backups need; timeline history files stay");
        } else if (keptByPolicy.isEmpty()) {
            wal = List.of();
            notes.add("the policy keeps no backup: no WAL is deleted");
        } else {
            BackupEntry earliest = keptByPolicy.keySet().stream().map(history.byName::get)
                    .min(Comparator.comparing(BackupEntry::startWal, POSITION).thenComparing(BackupEntry.TIME_ORDER))
                    .orElseThrow();
            wal = walBefore(listing.wal(), earliest.startWal(), keptEntries, false);
            notes.add("WAL before the start of " + earliest.name() + " (segment " + earliest.startWal()
                    + ", on any timeline) goes, except what a kept backup needs and timeline history files");
        }
        return new RetentionPlan(policy.describe(), keptList, deletions, wal, notes);
    }

    /**
     * The plan for {@code delete garbage}: folders an interrupted delete marked; folders without a
     * manifest whose newest object is older than {@code grace} (younger ones may be a backup-push
     * still running); WAL before the start of the earliest backup, except history files.
     */
    public static RetentionPlan garbage(RepositoryListing listing, Instant now, Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("the grace period must not be negative");
        }
        History history = new History(listing.backups());
        List<Kept> kept = history.ordered.stream().map(e -> new Kept(e, e.permanent() ? "permanent" : "a finished backup")).toList();
        List<Deletion> deletions = new ArrayList<>(markedFolders(listing));
        List<String> notes = new ArrayList<>();
        Instant limit = now.minus(grace);
        listing.otherFolders().stream().filter(f -> !f.markedDeleted()).sorted(Comparator.comparing(BackupFolder::name))
                .forEach(f -> {
                    if (!f.newest().isAfter(limit)) {
                        deletions.add(new Deletion(f.name(), "no manifest; newest object written " + f.newest()
                                + ", before the grace period of " + Durations.format(grace), null, f.objects()));
                    } else {
                        notes.add("left alone: " + f.name() + " has no manifest but was written to at " + f.newest()
                                + ", within the grace period (a backup may still be running)");
                    }
                });
        List<WalObject> wal;
        if (history.ordered.isEmpty()) {
            wal = List.of();
            notes.add("no backups: no WAL is deleted");
        } else {
            BackupEntry earliest = history.ordered.stream()
                    .min(Comparator.comparing(BackupEntry::startWal, POSITION).thenComparing(BackupEntry.TIME_ORDER))
                    .orElseThrow();
            wal = walBefore(listing.wal(), earliest.startWal(), history.ordered, false);
            notes.add("WAL before the start of the earliest backup, " + earliest.name() + " (segment "
                    + earliest.startWal() + ", on any timeline), goes, except timeline history files");
        }
        // a streamed partial whose segment is archived whole is never read again (a fetch takes the
        // segment); a receiver killed between storing the segment and deleting its partials leaves them
        java.util.Set<SegmentFileName> archived = listing.wal().stream().map(WalObject::name)
                .filter(SegmentFileName.class::isInstance).map(SegmentFileName.class::cast).collect(java.util.stream.Collectors.toSet());
        List<WalObject> superseded = listing.wal().stream()
                .filter(w -> io.walstash.core.repository.StreamedPartial.parse(w.key()).isPresent())
                .filter(w -> w.segment().map(archived::contains).orElse(false)).toList();
        if (!superseded.isEmpty()) {
            notes.add(superseded.size() + " streamed partials of segments archived whole go");
            wal = java.util.stream.Stream.concat(wal.stream(), superseded.stream()).distinct()
                    .sorted(Comparator.comparing(WalObject::key)).toList();
        }
        return new RetentionPlan("garbage grace " + Durations.format(grace), kept, deletions, wal, notes);
    }

    private static void retain(Retain r, History history, List<BackupEntry> candidates, Instant now,
                               Map<String, String> keep) {
        if (r.count() > 0) {
            List<BackupEntry> pool = r.scope() == Scope.FULL
                    ? candidates.stream().filter(e -> !e.isDelta()).toList() : candidates;
            String what = r.scope() == Scope.FULL ? "full backups" : "backups";
            if (pool.size() < r.count()) {
                candidates.forEach(e -> keep.putIfAbsent(e.name(), "only " + pool.size() + " " + what + " (fewer than "
                        + r.count() + "): all kept"));
            } else {
                List<BackupEntry> newest = pool.subList(pool.size() - r.count(), pool.size());
                newest.forEach(e -> keep.putIfAbsent(e.name(), "one of the " + r.count() + " newest " + what));
                if (r.scope() == Scope.FULL) {
                    for (BackupEntry e : candidates) {
                        Optional<BackupEntry> root = history.root(e);
                        if (e.isDelta() && root.isPresent() && newest.contains(root.get())) {
                            keep.putIfAbsent(e.name(), "delta of kept full backup " + root.get().name());
                        }
                    }
                }
            }
        }
        if (r.window() != null) {
            Instant start = now.minus(r.window());
            String window = Durations.format(r.window());
            candidates.stream().filter(e -> !e.stopTime().isBefore(start))
                    .forEach(e -> keep.putIfAbsent(e.name(), "finished within the " + window + " window"));
            // the newest backup finished before the window start is what recovers the window's first moments
            history.ordered.stream().filter(e -> e.stopTime().isBefore(start)).reduce((a, b) -> b)
                    .ifPresent(e -> keep.putIfAbsent(e.name(), "newest backup finished before the " + window
                            + " window began (" + seconds(start) + "): recovers the window's start"));
        }
    }

    private static String deletionReason(RetentionPolicy policy, BackupEntry e, History history, Instant now) {
        if (policy instanceof Retain r) {
            List<String> parts = new ArrayList<>();
            if (r.count() > 0) {
                if (r.scope() == Scope.FULL && e.isDelta()) {
                    parts.add("delta of " + history.root(e).map(BackupEntry::name).orElse("a missing base")
                            + ", which is not one of the " + r.count() + " newest full backups");
                } else {
                    parts.add("older than the " + r.count() + " newest " + (r.scope() == Scope.FULL ? "full backups" : "backups"));
                }
            }
            if (r.window() != null) {
                parts.add("finished before the " + Durations.format(r.window()) + " window began ("
                        + seconds(now.minus(r.window())) + ")");
            }
            return String.join(" and ", parts);
        }
        if (policy instanceof BeforeBackup b) {
            return "older than " + b.name();
        }
        if (policy instanceof BeforeTime t) {
            return "finished before " + t.time();
        }
        return "delete everything";
    }

    /** For messages: an instant to the second. */
    private static Instant seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS);
    }

    private static List<Deletion> markedFolders(RepositoryListing listing) {
        return listing.otherFolders().stream().filter(BackupFolder::markedDeleted)
                .sorted(Comparator.comparing(BackupFolder::name))
                .map(f -> new Deletion(f.name(), "an earlier delete was interrupted after marking it", null, f.objects()))
                .toList();
    }

    /**
     * The WAL objects whose segment lies before {@code cutoff} (every one when null) and is not
     * needed by any of {@code kept}; history files only when {@code withHistory}. Sorted by key.
     */
    private static List<WalObject> walBefore(List<WalObject> wal, SegmentFileName cutoff, Collection<BackupEntry> kept,
                                             boolean withHistory) {
        return wal.stream().filter(w -> {
            Optional<SegmentFileName> segment = w.segment();
            if (segment.isEmpty()) {
                return withHistory;
            }
            SegmentFileName s = segment.get();
            if (cutoff != null && POSITION.compare(s, cutoff) >= 0) {
                return false;
            }
            return kept.stream().noneMatch(b -> needs(b, s));
        }).sorted(Comparator.comparing(WalObject::key)).toList();
    }

    /** Whether backup {@code b} needs segment {@code s} to become consistent: its start to stop segment, on its timeline. */
    static boolean needs(BackupEntry b, SegmentFileName s) {
        return s.timeline() == b.timeline()
                && POSITION.compare(s, b.startWal()) >= 0 && POSITION.compare(s, b.stopWal()) <= 0;
    }

    /** The backups, in time order, with their chains. */
    private static final class History {
        final List<BackupEntry> ordered;
        final Map<String, BackupEntry> byName = new HashMap<>();
        final Map<String, String> protectedReasons = new LinkedHashMap<>();

        History(List<BackupEntry> backups) {
            ordered = backups.stream().sorted(BackupEntry.TIME_ORDER).toList();
            for (BackupEntry e : ordered) {
                if (byName.put(e.name(), e) != null) {
                    throw new IllegalArgumentException("backup " + e.name() + " is listed twice");
                }
            }
            Map<String, String> permanent = new LinkedHashMap<>();
            ordered.stream().filter(BackupEntry::permanent).forEach(e -> permanent.put(e.name(), "permanent"));
            addChains(permanent, "base of permanent ");
            protectedReasons.putAll(permanent);
        }

        boolean isProtected(BackupEntry e) {
            return protectedReasons.containsKey(e.name());
        }

        /** The backups {@code e} is built on, nearest first; stops at a missing base. */
        List<BackupEntry> bases(BackupEntry e) {
            List<BackupEntry> bases = new ArrayList<>();
            BackupEntry current = e;
            while (current.isDelta() && byName.containsKey(current.deltaBase()) && bases.size() <= byName.size()) {
                current = byName.get(current.deltaBase());
                bases.add(current);
            }
            return bases;
        }

        /** The full backup at the bottom of {@code e}'s chain, or empty when a base is missing. */
        Optional<BackupEntry> root(BackupEntry e) {
            List<BackupEntry> bases = bases(e);
            BackupEntry last = bases.isEmpty() ? e : bases.get(bases.size() - 1);
            return last.isDelta() ? Optional.empty() : Optional.of(last);
        }

        /** Adds the base chain of every backup in {@code keep}, each with the backup that needs it. */
        void addChains(Map<String, String> keep, String why) {
            for (String name : List.copyOf(keep.keySet())) {
                BackupEntry previous = byName.get(name);
                for (BackupEntry base : bases(previous)) {
                    keep.putIfAbsent(base.name(), why + previous.name());
                    previous = base;
                }
            }
        }

        /** Deltas before the backups they are built on: deepest chain first, then newest first. */
        List<BackupEntry> deletionOrder(List<BackupEntry> doomed) {
            Comparator<BackupEntry> depth = Comparator.comparingInt(e -> bases(e).size());
            return doomed.stream().sorted(depth.reversed().thenComparing(BackupEntry.TIME_ORDER.reversed())).toList();
        }
    }
}
