package io.walstash.core.verify;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.TimelineHistory;
import io.walstash.core.wal.WalSegmentHeader;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads one stored WAL object to its end and says what is wrong with it: the checksum in its
 * header (through {@link WalArchive#openStored}), and for a segment that it is a segment of this
 * cluster: the first page's long header with a known {@code XLOG_PAGE_MAGIC}, the repository's
 * system identifier and segment size, the page address of the segment its name says, and a full
 * segment's length. Storage failures are thrown, not reported: they say nothing about the object.
 */
final class WalObjectCheck {
    private final Storage storage;
    private final WalSegmentSize segmentSize;
    private final Long systemIdentifier;
    private final OptionalInt postgresMajor;

    /**
     * @param systemIdentifier the repository's cluster, or null when unknown (not checked then)
     * @param postgresMajor    the major version the repository serves, when the marker records it
     */
    WalObjectCheck(Storage storage, WalSegmentSize segmentSize, Long systemIdentifier, OptionalInt postgresMajor) {
        this.storage = storage;
        this.segmentSize = segmentSize;
        this.systemIdentifier = systemIdentifier;
        this.postgresMajor = postgresMajor;
    }

    /** Outcome of one read: the problem, if any, and whether a checksum vouched for the bytes. */
    record Outcome(Optional<String> problem, boolean verified) {
    }

    Outcome check(WalIndex.StoredWal wal) throws IOException {
        SegmentFileName segment = wal.name().contentSegment().orElse(null);
        try (WalArchive.StoredPlain plain = WalArchive.openStored(storage, wal.key(), wal.codec())) {
            InputStream in = plain.stream();
            String problem = null;
            long length = 0;
            if (segment != null) {
                byte[] first = in.readNBytes(WalSegmentHeader.LENGTH);
                length = first.length;
                problem = segmentProblem(segment, first);
            }
            length += drain(in);
            if (problem == null && wal.name() instanceof SegmentFileName && length != segmentSize.bytes()) {
                problem = "holds " + length + " bytes, not a whole " + segmentSize + " segment";
            }
            return new Outcome(Optional.ofNullable(problem), plain.verified());
        } catch (CorruptObjectException e) {
            return new Outcome(Optional.of(e.getMessage()), false);
        }
    }

    /** Reads a history object, checked like any other; a corrupt or unparsable one throws {@link CorruptObjectException}. */
    TimelineHistory history(WalIndex.StoredWal wal, long timeline) throws IOException {
        String text;
        try (WalArchive.StoredPlain plain = WalArchive.openStored(storage, wal.key(), wal.codec())) {
            text = new String(plain.stream().readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            return TimelineHistory.parse(timeline, text);
        } catch (IllegalArgumentException e) {
            throw new CorruptObjectException("object " + wal.key() + " is no valid history file: " + e.getMessage(), e);
        }
    }

    private String segmentProblem(SegmentFileName name, byte[] first) {
        WalSegmentHeader header;
        try {
            header = WalSegmentHeader.read(first);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        OptionalInt major = header.postgresMajorVersion();
        if (major.isEmpty()) {
            return String.format("page magic 0x%04X is not that of a PostgreSQL version walstash knows (12 to 18)",
                    header.magic());
        }
        if (postgresMajor.isPresent() && postgresMajor.getAsInt() != major.getAsInt()) {
            return "written by PostgreSQL " + major.getAsInt() + ", but the repository serves PostgreSQL "
                    + postgresMajor.getAsInt();
        }
        if (systemIdentifier != null && header.systemIdentifier() != systemIdentifier) {
            return "comes from system " + header.systemIdentifierText() + ", but the repository serves system "
                    + Long.toUnsignedString(systemIdentifier);
        }
        if (header.segmentSize() != segmentSize.bytes()) {
            return "is a " + header.walSegmentSize() + " segment, but the repository holds " + segmentSize + " segments";
        }
        Lsn expected = name.startLsn(segmentSize);
        if (!header.pageAddress().equals(expected)) {
            return "starts at " + header.pageAddress() + ", but segment " + name + " starts at " + expected;
        }
        return null;
    }

    /** Reads {@code in} to its end; how many bytes it gave. */
    static long drain(InputStream in) throws IOException {
        byte[] buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            total += n;
        }
        return total;
    }
}
