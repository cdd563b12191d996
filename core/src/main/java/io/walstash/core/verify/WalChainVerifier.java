package io.walstash.core.verify;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.ObjectHeader;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codecs;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.TimelineHistory;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks that the archived WAL can restore the backups: from the oldest backup's start to the end
 * of the archive, along the timelines the newest timeline's history file leads through (the path
 * recovery with {@code recovery_target_timeline = 'latest'} takes), every segment must be stored.
 * A missing segment is only "late" when every segment stored after it was stored within the late
 * window: archiving, or a look-ahead push that overtook it, is still running.
 *
 * <p>Without {@code deep} only listings, history files and the repository marker are read; with it
 * every WAL object is downloaded and checked ({@link WalObjectCheck}).
 */
public final class WalChainVerifier {
    public static final Duration DEFAULT_LATE_WINDOW = Duration.ofMinutes(5);

    private final Storage storage;
    private final Codecs codecs;
    private final Clock clock;

    public WalChainVerifier(Storage storage, Codecs codecs, Clock clock) {
        this.storage = storage;
        this.codecs = codecs;
        this.clock = clock;
    }

    /** @param concurrency objects checked at once with {@code deep} */
    public WalChainReport verify(Duration lateWindow, boolean deep, int concurrency) throws IOException {
        Instant now = clock.instant();
        Optional<RepositoryMarker> marker = RepositoryMarker.read(storage);
        WalIndex.Readable objects = WalIndex.list(storage).readable(codecs);
        List<BackupCatalog.Backup> backups = new BackupCatalog(storage).list();
        RepositoryFacts repository = RepositoryFacts.of(storage, marker, objects, backups);
        WalSegmentSize size = repository.segmentSize();
        WalObjectCheck check = new WalObjectCheck(storage, size, repository.systemIdentifier(),
                marker.map(RepositoryMarker::postgresMajorVersion).orElse(OptionalInt.empty()));

        List<CorruptObject> corrupt = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<Long, TimelineHistory> histories = readHistories(objects, check, corrupt);
        objects.unrecognised().forEach(key -> problems.add("object " + key + " under the WAL folder is no WAL file"));

        long latest = Math.max(objects.segments().isEmpty() ? 1 : objects.segments().lastKey().timeline(),
                histories.isEmpty() && objects.histories().isEmpty() ? 1
                        : Math.max(histories.keySet().stream().mapToLong(Long::longValue).max().orElse(1),
                        objects.histories().keySet().stream().mapToLong(Long::longValue).max().orElse(1)));
        TimelineHistory path = histories.get(latest);
        String missingHistory = null;
        if (path == null) {
            path = latest == 1 ? TimelineHistory.of(1) : fallbackPath(histories);
            if (latest != 1) {
                missingHistory = ("timeline " + latest + " has no readable history file (" + String.format("%08X", latest)
                        + ".history): recovery cannot follow it; checking the path to timeline " + path.timeline());
                problems.add(missingHistory);
            }
        }
        TimelinePath walk = new TimelinePath(path, size);

        // stored segments, by number, that lie on the path
        NavigableMap<Long, WalIndex.StoredWal> onPath = new TreeMap<>();
        for (var entry : objects.segments().entrySet()) {
            OptionalLongNumber n = number(entry.getKey(), size);
            if (n.valid() && walk.timelineOf(n.value()) == entry.getKey().timeline()) {
                onPath.put(n.value(), entry.getValue());
            } else if (!n.valid()) {
                problems.add("object " + entry.getValue().key() + " names a segment that does not exist with "
                        + size + " segments");
            }
        }

        BackupManifest newest = backups.isEmpty() ? null : backups.get(backups.size() - 1).manifest();
        long start;
        if (!backups.isEmpty()) {
            start = Lsn.parse(backups.get(0).manifest().startLsn()).segmentNumber(size);
        } else {
            start = onPath.isEmpty() ? 0 : onPath.firstKey();
        }
        long end = onPath.isEmpty() ? start - 1 : onPath.lastKey();
        for (BackupCatalog.Backup b : backups) {
            end = Math.max(end, Lsn.parse(b.manifest().stopLsn()).segmentNumber(size));
        }
        boolean empty = backups.isEmpty() && onPath.isEmpty();

        // the oldest time a segment after n was stored: n is late when even that is within the window
        NavigableMap<Long, Instant> oldestStoredAfter = new TreeMap<>();
        Instant oldest = Instant.MAX;
        for (var entry : onPath.descendingMap().entrySet()) {
            oldestStoredAfter.put(entry.getKey(), oldest);
            oldest = min(oldest, entry.getValue().stored());
        }
        Instant lateSince = now.minus(lateWindow);

        List<WalChainReport.Gap> gaps = new ArrayList<>();
        List<long[]> gapNumbers = new ArrayList<>();
        Set<String> pathKeys = new HashSet<>();
        Map<String, Long> keyNumbers = new HashMap<>();
        long gapStart = -1;
        for (long n = start; n <= end && !empty; n++) {
            long timeline = walk.timelineOf(n);
            WalIndex.StoredWal stored = onPath.get(n);
            boolean boundary = gapStart >= 0 && walk.timelineOf(gapStart) != timeline;
            if ((stored != null || boundary) && gapStart >= 0) {
                addGap(gaps, gapNumbers, walk, gapStart, n - 1, oldestStoredAfter, onPath, lateSince);
                gapStart = -1;
            }
            if (stored != null) {
                pathKeys.add(stored.key());
                keyNumbers.put(stored.key(), n);
            } else if (gapStart < 0) {
                gapStart = n;
            }
        }
        if (gapStart >= 0) {
            addGap(gaps, gapNumbers, walk, gapStart, end, oldestStoredAfter, onPath, lateSince);
        }

        // cheap even without --deep: an object shorter than its own header can't hold a segment
        for (WalIndex.StoredWal wal : objects.all()) {
            if (!wal.walg() && wal.size() < ObjectHeader.LENGTH) {
                corrupt.add(new CorruptObject(wal.key(), "object " + wal.key() + " is truncated: " + wal.size()
                        + " bytes, shorter than its " + ObjectHeader.LENGTH + "-byte header"));
            }
        }
        long[] read = {0, 0};
        if (deep) {
            Set<String> known = new HashSet<>();
            corrupt.forEach(c -> known.add(c.key()));
            List<WalIndex.StoredWal> toRead = objects.all().stream()
                    .filter(w -> !known.contains(w.key()) && !(w.name() instanceof io.walstash.core.wal.HistoryFileName))
                    .toList();
            for (var outcome : Parallel.map(toRead, concurrency, check::check).entrySet()) {
                read[0]++;
                if (!outcome.getValue().verified()) {
                    read[1]++;
                }
                outcome.getValue().problem().ifPresent(p -> corrupt.add(new CorruptObject(outcome.getKey().key(),
                        p.contains(outcome.getKey().key()) ? p : "object " + outcome.getKey().key() + " " + p)));
            }
            read[0] += objects.histories().size();
        }
        corrupt.sort(java.util.Comparator.comparing(CorruptObject::key));

        List<WalChainReport.BackupReach> reaches = new ArrayList<>();
        for (BackupCatalog.Backup b : backups) {
            reaches.add(reach(b.manifest(), path, walk, gapNumbers, gaps, corrupt, keyNumbers));
        }

        List<String> reasons = new ArrayList<>();
        if (missingHistory != null) {
            reasons.add(missingHistory);
        }
        long lateAfterStart = 0;
        long newestStart = newest == null ? start : Lsn.parse(newest.startLsn()).segmentNumber(size);
        if (newest != null) {
            WalChainReport.BackupReach r = reaches.get(reaches.size() - 1);
            if (!r.onPath()) {
                reasons.add("the newest backup " + newest.name() + " (timeline " + newest.timeline() + ", "
                        + newest.startLsn() + ") is not on the history of timeline " + path.timeline());
            }
        }
        for (int i = 0; i < gaps.size(); i++) {
            if (gapNumbers.get(i)[1] < newestStart) {
                continue;
            }
            WalChainReport.Gap g = gaps.get(i);
            if (g.late()) {
                lateAfterStart += g.count();
            } else {
                reasons.add("missing " + describe(g) + (newest == null ? "" : ", needed to restore " + newest.name()
                        + " to the end of the archive"));
            }
        }
        for (CorruptObject c : corrupt) {
            Long n = keyNumbers.get(c.key());
            if (n != null && n >= newestStart) {
                reasons.add("corrupt " + c.key() + " lies on the path of the newest backup");
            }
        }
        Verdict verdict = !reasons.isEmpty() ? new Verdict.Broken(reasons)
                : lateAfterStart > 0 ? new Verdict.LateOnly(lateAfterStart) : new Verdict.Ok();

        return new WalChainReport(now, lateWindow, deep, size.bytes(), repository.segmentSizeSource(),
                repository.systemIdentifier() == null ? null : Long.toUnsignedString(repository.systemIdentifier()),
                latest, path.timelines(),
                empty ? null : SegmentFileName.of(walk.timelineOf(start), start, size).fileName(),
                empty || end < start ? null : SegmentFileName.of(walk.timelineOf(end), end, size).fileName(),
                ranges(objects, size, empty ? Long.MAX_VALUE : start), gaps, switches(histories, path, size),
                reaches, corrupt, problems, read[0], read[1], verdict);
    }

    private static Map<Long, TimelineHistory> readHistories(WalIndex.Readable objects, WalObjectCheck check,
                                                            List<CorruptObject> corrupt) throws IOException {
        Map<Long, TimelineHistory> histories = new TreeMap<>();
        for (var entry : objects.histories().entrySet()) {
            try {
                histories.put(entry.getKey(), check.history(entry.getValue(), entry.getKey()));
            } catch (CorruptObjectException e) {
                corrupt.add(new CorruptObject(entry.getValue().key(), e.getMessage()));
            }
        }
        return histories;
    }

    /** When the newest timeline's history is unreadable: the newest timeline whose history is readable. */
    private static TimelineHistory fallbackPath(Map<Long, TimelineHistory> histories) {
        return histories.values().stream().reduce((a, b) -> b).orElse(TimelineHistory.of(1));
    }

    private static void addGap(List<WalChainReport.Gap> gaps, List<long[]> numbers, TimelinePath walk, long from, long to,
                               NavigableMap<Long, Instant> oldestStoredAfter,
                               NavigableMap<Long, WalIndex.StoredWal> onPath, Instant lateSince) {
        // the segments stored after the gap: the next stored one and everything after it
        Long next = onPath.ceilingKey(to + 1);
        boolean late = false;
        if (next != null) {
            Instant oldestAfter = min(onPath.get(next).stored(), oldestStoredAfter.get(next));
            late = oldestAfter.isAfter(lateSince);
        }
        WalSegmentSize size = walk.size();
        long timeline = walk.timelineOf(from);
        gaps.add(new WalChainReport.Gap(timeline, SegmentFileName.of(timeline, from, size).fileName(),
                SegmentFileName.of(timeline, to, size).fileName(), to - from + 1, late));
        numbers.add(new long[] {from, to});
    }

    private static WalChainReport.BackupReach reach(BackupManifest m, TimelineHistory path, TimelinePath walk,
                                                    List<long[]> gapNumbers, List<WalChainReport.Gap> gaps,
                                                    List<CorruptObject> corrupt, Map<String, Long> keyNumbers) {
        Lsn startLsn = Lsn.parse(m.startLsn());
        long start = startLsn.segmentNumber(walk.size());
        boolean onPath = path.timelineAt(startLsn) == m.timeline();
        String firstMissing = null;
        for (int i = 0; i < gaps.size() && firstMissing == null; i++) {
            long[] g = gapNumbers.get(i);
            if (!gaps.get(i).late() && g[1] >= start) {
                long n = Math.max(g[0], start);
                firstMissing = SegmentFileName.of(walk.timelineOf(n), n, walk.size()).fileName();
            }
        }
        boolean corruptAfter = corrupt.stream().map(c -> keyNumbers.get(c.key())).anyMatch(n -> n != null && n >= start);
        return new WalChainReport.BackupReach(m.name(), SegmentFileName.of(m.timeline(), start, walk.size()).fileName(),
                onPath, firstMissing, onPath && firstMissing == null && !corruptAfter);
    }

    private static List<WalChainReport.Range> ranges(WalIndex.Readable objects, WalSegmentSize size, long from) {
        List<WalChainReport.Range> ranges = new ArrayList<>();
        SegmentFileName first = null;
        SegmentFileName previous = null;
        long count = 0;
        for (SegmentFileName name : objects.segments().keySet()) {
            OptionalLongNumber n = number(name, size);
            if (!n.valid() || n.value() < from) {
                continue;
            }
            boolean follows = previous != null && previous.timeline() == name.timeline()
                    && previous.segmentNumber(size) + 1 == n.value();
            if (!follows) {
                if (first != null) {
                    ranges.add(new WalChainReport.Range(first.timeline(), first.fileName(), previous.fileName(), count));
                }
                first = name;
                count = 0;
            }
            previous = name;
            count++;
        }
        if (first != null) {
            ranges.add(new WalChainReport.Range(first.timeline(), first.fileName(), previous.fileName(), count));
        }
        return ranges;
    }

    private static List<WalChainReport.TimelineSwitch> switches(Map<Long, TimelineHistory> histories,
                                                                TimelineHistory path, WalSegmentSize size) {
        List<WalChainReport.TimelineSwitch> switches = new ArrayList<>();
        Set<Long> pathTimelines = new TreeSet<>(path.timelines());
        for (TimelineHistory history : histories.values()) {
            if (history.entries().isEmpty()) {
                continue;
            }
            TimelineHistory.Entry last = history.entries().get(history.entries().size() - 1);
            switches.add(new WalChainReport.TimelineSwitch(last.parentTimeline(), history.timeline(),
                    last.switchPoint().toString(),
                    SegmentFileName.containing(history.timeline(), last.switchPoint(), size).fileName(),
                    pathTimelines.contains(history.timeline())));
        }
        return switches;
    }

    private static String describe(WalChainReport.Gap g) {
        return g.count() == 1 ? "segment " + g.first() : g.count() + " segments " + g.first() + ".." + g.last();
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private record OptionalLongNumber(boolean valid, long value) {
    }

    private static OptionalLongNumber number(SegmentFileName name, WalSegmentSize size) {
        try {
            return new OptionalLongNumber(true, name.segmentNumber(size));
        } catch (IllegalArgumentException e) {
            return new OptionalLongNumber(false, -1);
        }
    }

    /**
     * Which timeline holds segment n on the way to the history's timeline: the newest one that had
     * begun by then, as PostgreSQL's {@code XLogFileReadAnyTLI} picks (a timeline begins with the
     * segment holding its switch point).
     */
    private record TimelinePath(List<Long> timelines, long[] begins, WalSegmentSize size) {
        TimelinePath(TimelineHistory history, WalSegmentSize size) {
            this(history.timelines(), begins(history, size), size);
        }

        private static long[] begins(TimelineHistory history, WalSegmentSize size) {
            long[] begins = new long[history.entries().size() + 1];
            for (int i = 0; i < history.entries().size(); i++) {
                begins[i + 1] = history.entries().get(i).switchPoint().segmentNumber(size);
            }
            return begins;
        }

        long timelineOf(long segment) {
            for (int i = begins.length - 1; i > 0; i--) {
                if (segment >= begins[i]) {
                    return timelines.get(i);
                }
            }
            return timelines.get(0);
        }
    }
}
