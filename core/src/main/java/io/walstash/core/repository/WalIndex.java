package io.walstash.core.repository;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The WAL a repository holds, as one listing of {@code wal/} and WAL-G's {@code wal_005/} found it:
 * every key read once by {@link WalKey}, in key order, so the same objects listed in any order give
 * the same index. Keys that hold no WAL file are kept as {@link #foreign()}, never an error.
 */
public final class WalIndex {

    /** One stored object that holds a WAL file: segment, timeline history, backup history or partial segment. */
    public record Entry(WalKey walKey, long size, Instant stored) {
        public Entry {
            Objects.requireNonNull(walKey, "walKey");
            Objects.requireNonNull(stored, "stored");
        }

        public String key() {
            return walKey.key();
        }

        public WalFileName name() {
            return walKey.name();
        }

        public boolean walg() {
            return walKey.walg();
        }
    }

    private final List<Entry> entries;
    private final List<String> foreign;

    private WalIndex(List<Entry> entries, List<String> foreign) {
        this.entries = entries;
        this.foreign = foreign;
    }

    /** Lists both WAL folders of {@code storage}. */
    public static WalIndex list(Storage storage) throws IOException {
        List<ObjectInfo> objects = new ArrayList<>();
        for (WalFolder folder : WalFolder.values()) {
            try (Stream<ObjectInfo> listing = storage.list(folder.prefix())) {
                listing.forEach(objects::add);
            }
        }
        return of(objects);
    }

    /**
     * The objects that hold WAL file {@code name} in {@code folder}, one per extension, by key: a
     * listing of that name's prefix only, which is what a push or a fetch can afford.
     */
    public static List<Entry> storedForms(Storage storage, WalFolder folder, String name) throws IOException {
        List<ObjectInfo> objects;
        try (Stream<ObjectInfo> listing = storage.list(folder.keyPrefix(name))) {
            objects = listing.toList();
        }
        return of(objects).entries().stream().filter(e -> e.name().fileName().equals(name)).toList();
    }

    /** The index of {@code objects}, listed from the WAL folders; the order they come in does not matter. */
    public static WalIndex of(Collection<ObjectInfo> objects) {
        List<Entry> entries = new ArrayList<>();
        List<String> foreign = new ArrayList<>();
        for (ObjectInfo object : objects) {
            Optional<WalKey> key = WalKey.parse(object.key());
            if (key.isPresent()) {
                entries.add(new Entry(key.get(), object.size(), object.lastModified()));
            } else {
                foreign.add(object.key());
            }
        }
        entries.sort(Comparator.comparing(Entry::key));
        Collections.sort(foreign);
        return new WalIndex(List.copyOf(entries), List.copyOf(foreign));
    }

    /** Every object that holds a WAL file, by key. */
    public List<Entry> entries() {
        return entries;
    }

    /** Keys under the WAL folders that hold no WAL file name (a sub-folder, a stray file), by key. */
    public List<String> foreign() {
        return foreign;
    }

    /** Their stored (compressed) size. */
    public long storedBytes() {
        return entries.stream().mapToLong(Entry::size).sum();
    }

    /**
     * The object of the highest segment (by timeline, then position). Where several hold it, the one
     * stored last shows progress; on a tie walstash's own folder, then the first key.
     */
    public Optional<Entry> newestSegment() {
        Comparator<Entry> order = Comparator.comparing((Entry e) -> (SegmentFileName) e.name())
                .thenComparing(Entry::stored)
                .thenComparing(Entry::walg, Comparator.reverseOrder())
                .thenComparing(Entry::key, Comparator.reverseOrder());
        return entries.stream().filter(e -> e.name() instanceof SegmentFileName).max(order);
    }

    /** What a reader with {@code codecs} can decode of this index (what verify checks). */
    public Readable readable(Codecs codecs) {
        return new Readable(this, codecs);
    }

    /** A stored WAL object an installed codec reads. {@code walg} marks an object under WAL-G's folder, which has no checksum. */
    public record StoredWal(String key, WalFileName name, Codec codec, long size, Instant stored, boolean walg) {
    }

    /**
     * The objects of an index that an installed codec reads, by WAL file. Where both folders (or two
     * codecs) hold the same file, walstash's object is the one used, as a fetch would.
     */
    public static final class Readable {
        private final NavigableMap<SegmentFileName, StoredWal> segments = new TreeMap<>();
        private final NavigableMap<Long, StoredWal> histories = new TreeMap<>();
        private final List<StoredWal> all = new ArrayList<>();
        private final List<String> unreadable = new ArrayList<>();

        private Readable(WalIndex index, Codecs codecs) {
            for (Entry e : index.entries) {
                Optional<Codec> codec = e.walKey().codec(codecs);
                if (codec.isEmpty()) {
                    unreadable.add(e.key());
                    continue;
                }
                StoredWal wal = new StoredWal(e.key(), e.name(), codec.get(), e.size(), e.stored(), e.walg());
                all.add(wal);
                if (wal.name() instanceof SegmentFileName segment) {
                    segments.merge(segment, wal, Readable::preferred);
                } else if (wal.name() instanceof HistoryFileName history) {
                    histories.merge(history.timeline(), wal, Readable::preferred);
                }
            }
            unreadable.addAll(index.foreign);
            Collections.sort(unreadable);
        }

        /** walstash's object over WAL-G's, then the first key, so the choice does not depend on listing order. */
        private static StoredWal preferred(StoredWal a, StoredWal b) {
            if (a.walg() != b.walg()) {
                return a.walg() ? b : a;
            }
            return a.key().compareTo(b.key()) <= 0 ? a : b;
        }

        public Optional<StoredWal> segment(SegmentFileName name) {
            return Optional.ofNullable(segments.get(name));
        }

        public NavigableMap<SegmentFileName, StoredWal> segments() {
            return Collections.unmodifiableNavigableMap(segments);
        }

        public Map<Long, StoredWal> histories() {
            return Collections.unmodifiableMap(histories);
        }

        /** Every readable WAL object, including .partial and .backup files and objects another one shadows, by key. */
        public List<StoredWal> all() {
            return Collections.unmodifiableList(all);
        }

        /** Keys under the WAL folders that are no WAL file of an installed codec, by key. */
        public List<String> unrecognised() {
            return Collections.unmodifiableList(unreadable);
        }
    }
}
