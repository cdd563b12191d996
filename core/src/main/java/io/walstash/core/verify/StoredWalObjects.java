package io.walstash.core.verify;

import io.walstash.core.archive.RepositoryLayout;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The WAL objects of a repository as one listing found them: walstash's under {@code wal/} and
 * WAL-G's under {@code wal_005/}, indexed by WAL file name. Where both folders (or two codecs) hold
 * the same file, walstash's object is the one used, as a fetch would.
 */
final class StoredWalObjects {

    /** One stored WAL object. {@code walg} marks an object under WAL-G's folder, which has no checksum. */
    record StoredWal(String key, WalFileName name, Codec codec, long size, Instant stored, boolean walg) {
    }

    private final NavigableMap<SegmentFileName, StoredWal> segments;
    private final NavigableMap<Long, StoredWal> histories;
    private final List<StoredWal> all;
    private final List<String> unrecognised;

    private StoredWalObjects(NavigableMap<SegmentFileName, StoredWal> segments, NavigableMap<Long, StoredWal> histories,
                             List<StoredWal> all, List<String> unrecognised) {
        this.segments = segments;
        this.histories = histories;
        this.all = all;
        this.unrecognised = unrecognised;
    }

    static StoredWalObjects list(Storage storage, Codecs codecs) throws IOException {
        NavigableMap<SegmentFileName, StoredWal> segments = new TreeMap<>();
        NavigableMap<Long, StoredWal> histories = new TreeMap<>();
        List<StoredWal> all = new ArrayList<>();
        List<String> unrecognised = new ArrayList<>();
        for (String folder : List.of(RepositoryLayout.WAL_PREFIX, RepositoryLayout.WALG_WAL_PREFIX)) {
            boolean walg = folder.equals(RepositoryLayout.WALG_WAL_PREFIX);
            try (Stream<ObjectInfo> listing = storage.list(folder)) {
                listing.forEach(info -> {
                    Optional<StoredWal> parsed = parse(info, folder, walg, codecs);
                    if (parsed.isEmpty()) {
                        unrecognised.add(info.key());
                        return;
                    }
                    StoredWal wal = parsed.get();
                    all.add(wal);
                    if (wal.name() instanceof SegmentFileName segment) {
                        segments.merge(segment, wal, StoredWalObjects::preferred);
                    } else if (wal.name() instanceof HistoryFileName history) {
                        histories.merge(history.timeline(), wal, StoredWalObjects::preferred);
                    }
                });
            }
        }
        all.sort(java.util.Comparator.comparing(StoredWal::key));
        Collections.sort(unrecognised);
        return new StoredWalObjects(segments, histories, List.copyOf(all), List.copyOf(unrecognised));
    }

    /** {@code wal/<WAL file name>.<codec extension>}, or WAL-G's {@code wal_005/…}; empty for anything else. */
    private static Optional<StoredWal> parse(ObjectInfo info, String folder, boolean walg, Codecs codecs) {
        String rest = info.key().substring(folder.length());
        int dot = rest.lastIndexOf('.');
        if (dot <= 0 || rest.indexOf('/') >= 0) {
            return Optional.empty();
        }
        Optional<Codec> codec = codecs.byExtension(rest.substring(dot + 1));
        String name = rest.substring(0, dot);
        if (codec.isEmpty() || !WalFileName.isWalFileName(name)) {
            return Optional.empty();
        }
        return Optional.of(new StoredWal(info.key(), WalFileName.parse(name), codec.get(), info.size(),
                info.lastModified(), walg));
    }

    /** walstash's object over WAL-G's, then the first key, so the choice does not depend on listing order. */
    private static StoredWal preferred(StoredWal a, StoredWal b) {
        if (a.walg() != b.walg()) {
            return a.walg() ? b : a;
        }
        return a.key().compareTo(b.key()) <= 0 ? a : b;
    }

    Optional<StoredWal> segment(SegmentFileName name) {
        return Optional.ofNullable(segments.get(name));
    }

    NavigableMap<SegmentFileName, StoredWal> segments() {
        return Collections.unmodifiableNavigableMap(segments);
    }

    Map<Long, StoredWal> histories() {
        return Collections.unmodifiableMap(histories);
    }

    /** Every recognised WAL object, including .partial and .backup files and objects another one shadows. */
    List<StoredWal> all() {
        return all;
    }

    /** Keys under the WAL folders that are no WAL file of a known codec. */
    List<String> unrecognised() {
        return unrecognised;
    }
}
