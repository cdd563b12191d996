package io.walstash.core.repository;

import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The content objects a repository held clear when encryption was turned on: what its keyring
 * records (sealed under the master key, so that a bucket writer can neither see nor extend it), and
 * so which clear objects a reader with the key still accepts. Any other clear content object, such as
 * a clear walstash object put in place of an encrypted one, is refused.
 *
 * <p>Recorded compactly, by how names are ordered rather than name by name: WAL as the newest
 * position stored per timeline (segment names sort in WAL order within a timeline, and every WAL
 * file, streamed partials included, has a position: its segment's name, a history file the start of
 * its timeline), backups by folder name (a clear backup's later objects, written by a backup that
 * was under way, are in a folder already listed).
 *
 * @param walByTimeline per timeline, the newest WAL position (a segment name) stored clear
 * @param backups       the backup folders there were
 * @param recorded      when this was listed: the keyring's creation, a moment later
 */
public record ClearObjects(SortedMap<Long, String> walByTimeline, SortedSet<String> backups, Instant recorded) {
    public ClearObjects {
        walByTimeline = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(walByTimeline));
        backups = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(backups));
        Objects.requireNonNull(recorded, "recorded");
    }

    /** Lists what {@code storage} holds now (walstash's own WAL folder, streamed partials, backup folders). */
    public static ClearObjects list(Storage storage, Instant now) throws IOException {
        SortedMap<Long, String> newest = new TreeMap<>();
        for (WalIndex.Entry entry : WalIndex.list(storage).entries()) {
            if (!entry.walg()) {
                note(newest, entry.name());
            }
        }
        try (Stream<ObjectInfo> partials = storage.list(StreamedPartial.prefix())) {
            partials.map(o -> StreamedPartial.parse(o.key())).flatMap(Optional::stream)
                    .forEach(p -> note(newest, p.segment()));
        }
        Set<String> backups = new TreeSet<>();
        BackupFolders.list(storage).folders().forEach(f -> backups.add(f.name()));
        return new ClearObjects(newest, new TreeSet<>(backups), now);
    }

    private static void note(SortedMap<Long, String> newest, WalFileName name) {
        newest.merge(name.timeline(), position(name), (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }

    /** Where {@code name} lies in its timeline's WAL: the name of its segment; a history file at the timeline's start. */
    static String position(WalFileName name) {
        return name.namedSegment().map(SegmentFileName::fileName)
                .orElseGet(() -> String.format("%08X%016X", name.timeline(), 0L));
    }

    /**
     * Whether content object {@code key} may be clear: a WAL object at or before its timeline's
     * recorded newest position, or an object of a backup folder that was there. Anything else
     * (keys of no known kind included) may not.
     */
    public boolean admits(String key) {
        Optional<WalFileName> wal = WalKey.parse(key).filter(k -> k.folder() == WalFolder.WALSTASH).map(WalKey::name)
                .or(() -> StreamedPartial.parse(key).map(p -> (WalFileName) p.segment()));
        if (wal.isPresent()) {
            String newest = walByTimeline.get(wal.get().timeline());
            return newest != null && position(wal.get()).compareTo(newest) <= 0;
        }
        return RepositoryLayout.backupOf(key).map(backups::contains).orElse(false);
    }

    /** As the keyring stores it: timeline (hex) to newest position, and the backup names. */
    public Map<String, Object> toJson() {
        Map<String, String> wal = new TreeMap<>();
        walByTimeline.forEach((timeline, position) -> wal.put(String.format("%08X", timeline), position));
        return Map.of("wal", wal, "backups", java.util.List.copyOf(backups), "recorded", recorded.toString());
    }

    /** Reads what {@link #toJson} wrote; fails with {@link IllegalArgumentException} on anything else. */
    @SuppressWarnings("unchecked")
    public static ClearObjects fromJson(Map<String, Object> json) {
        SortedMap<Long, String> wal = new TreeMap<>();
        ((Map<String, String>) json.get("wal")).forEach((timeline, position) -> {
            if (!position.matches("[0-9A-F]{24}")) {
                throw new IllegalArgumentException("not a WAL position: " + position);
            }
            wal.put(Long.parseLong(timeline, 16), position);
        });
        return new ClearObjects(wal, new TreeSet<>((java.util.List<String>) json.get("backups")),
                Instant.parse((String) json.get("recorded")));
    }
}
