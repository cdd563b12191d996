package io.walstash.core.retention;

import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A generated repository history for the planner's properties: backups in the order they were
 * taken (the index is the truth about which is newer), and a WAL listing.
 */
record History(List<BackupEntry> backups, List<WalObject> wal) {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final long SEGMENT = 16L << 20;

    /** What happens before a backup is taken. */
    enum Event { NONE, PROMOTION, MAJOR_UPGRADE }

    /** What kind of backup a step takes. */
    enum Kind { FULL, DELTA_ON_LATEST, DELTA_ON_LATEST_FULL }

    record Step(Kind kind, Event event, int gapMinutes, int durationMinutes, int segmentsBefore, int segmentsDuring,
                boolean permanent) {
    }

    RepositoryListing listing() {
        return new RepositoryListing(backups, List.of(), wal);
    }

    int index(String name) {
        for (int i = 0; i < backups.size(); i++) {
            if (backups.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    BackupEntry byName(String name) {
        return backups.get(index(name));
    }

    /** The backup and every backup it is built on. */
    Set<String> withBases(String name) {
        Set<String> chain = new LinkedHashSet<>();
        BackupEntry e = byName(name);
        chain.add(e.name());
        while (e.deltaBase() != null) {
            e = byName(e.deltaBase());
            chain.add(e.name());
        }
        return chain;
    }

    String root(String name) {
        List<String> chain = List.copyOf(withBases(name));
        return chain.get(chain.size() - 1);
    }

    static History build(List<Step> steps, long walSeed, double walDensity) {
        List<BackupEntry> backups = new ArrayList<>();
        Map<Long, long[]> segmentsByTimeline = new LinkedHashMap<>(); // timeline -> {first, last} position
        long timeline = 1;
        long highestTimeline = 1;
        long position = 2; // segment number where WAL is now
        Instant clock = T0;
        String latest = null;
        String latestFull = null;
        List<WalFileName> extra = new ArrayList<>();
        segmentsByTimeline.put(1L, new long[] {1, 1});
        for (Step step : steps) {
            if (step.event() == Event.PROMOTION) {
                extra.add(SegmentFileName.of(timeline, position, WalSegmentSize.DEFAULT).partial());
                highestTimeline++;
                timeline = highestTimeline;
                extra.add(new HistoryFileName(timeline));
                latest = null; // walstash refuses a delta across timelines
                latestFull = null;
            } else if (step.event() == Event.MAJOR_UPGRADE) {
                // pg_upgrade: a new cluster on timeline 1, WAL continuing after the old cluster's; its
                // backup names sort before the old cluster's
                timeline = 1;
                highestTimeline = Math.max(highestTimeline, 1);
                latest = null;
                latestFull = null;
            }
            position += step.segmentsBefore();
            clock = clock.plus(Duration.ofMinutes(step.gapMinutes()));
            long startPos = position;
            long stopPos = position + step.segmentsDuring();
            Instant start = clock;
            Instant stop = clock.plus(Duration.ofMinutes(step.durationMinutes()));
            clock = stop;
            position = stopPos + 1;
            segmentsByTimeline.computeIfAbsent(timeline, t -> new long[] {startPos, startPos})[1] = position;
            String base = switch (step.kind()) {
                case FULL -> null;
                case DELTA_ON_LATEST -> latest;
                case DELTA_ON_LATEST_FULL -> latestFull;
            };
            SegmentFileName startWal = SegmentFileName.of(timeline, startPos, WalSegmentSize.DEFAULT);
            SegmentFileName stopWal = SegmentFileName.of(timeline, stopPos, WalSegmentSize.DEFAULT);
            String name = "base_" + startWal.fileName() + (base == null ? "" : "_D_" + base.substring(5, 29));
            Lsn startLsn = Lsn.of(startPos * SEGMENT + 40);
            Lsn stopLsn = Lsn.of(stopPos * SEGMENT + 256);
            List<ObjectInfo> objects = List.of(new ObjectInfo("backups/" + name + "/files/base/1/1259.zst", 100, stop),
                    new ObjectInfo("backups/" + name + "/manifest.json", 10, stop));
            backups.add(new BackupEntry(name, base, timeline, startLsn, stopLsn, startWal, stopWal, start, stop,
                    step.permanent(), 110, objects));
            extra.add(BackupHistoryFileName.of(timeline, startLsn, WalSegmentSize.DEFAULT));
            latest = name;
            if (base == null) {
                latestFull = name;
            }
        }
        Random random = new Random(walSeed);
        List<WalObject> wal = new ArrayList<>();
        segmentsByTimeline.forEach((tl, range) -> {
            for (long p = 0; p <= range[1] + 1; p++) {
                if (random.nextDouble() < walDensity) {
                    wal.add(walObject(SegmentFileName.of(tl, p, WalSegmentSize.DEFAULT), random));
                }
            }
        });
        for (WalFileName name : extra) {
            wal.add(walObject(name, random));
        }
        if (highestTimeline == 1 && random.nextBoolean()) {
            wal.add(walObject(new HistoryFileName(2), random)); // a history file from some abandoned promotion
        }
        return new History(backups, wal);
    }

    private static WalObject walObject(WalFileName name, Random random) {
        String prefix = random.nextInt(8) == 0 ? "wal_005/" : "wal/";
        String ext = random.nextBoolean() ? ".zst" : ".lz4";
        return new WalObject(prefix + name.fileName() + ext, name, 1 + random.nextInt(1000));
    }
}
