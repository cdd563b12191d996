package io.walstash.core.verify;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.WalSegmentHeader;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Segment size and system identifier: the marker's, else what the backups and the first stored segment say. */
record RepositoryFacts(WalSegmentSize segmentSize, String segmentSizeSource, Long systemIdentifier) {
    static RepositoryFacts of(Storage storage, Optional<RepositoryMarker> marker, WalIndex.Readable objects,
                         List<BackupCatalog.Backup> backups) throws IOException {
        if (marker.isPresent()) {
            return new RepositoryFacts(new WalSegmentSize(marker.get().walSegmentSize()), "repository marker",
                    marker.get().systemIdentifier());
        }
        Long system = backups.isEmpty() || backups.get(backups.size() - 1).manifest().systemIdentifier() == null
                ? null : Long.parseUnsignedLong(backups.get(backups.size() - 1).manifest().systemIdentifier());
        // no marker (a WAL-G repository): the first page of a stored segment says how big segments are
        for (WalIndex.StoredWal wal : objects.segments().values()) {
            try (WalArchive.StoredPlain plain = WalArchive.openStored(storage, wal.key(), wal.codec())) {
                WalSegmentHeader header = WalSegmentHeader.read(plain.stream().readNBytes(WalSegmentHeader.LENGTH));
                return new RepositoryFacts(header.walSegmentSize(), "header of " + wal.key(),
                        system != null ? system : header.systemIdentifier());
            } catch (IllegalArgumentException | CorruptObjectException e) {
                // try the next one; a deep check reports this object
            }
        }
        return new RepositoryFacts(WalSegmentSize.DEFAULT, "default (no marker and no readable segment)", system);
    }
}
