package io.walstash.core.archive;

import io.walstash.core.wal.PartialSegmentFileName;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import io.walstash.core.wal.WalSegmentHeader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A WAL file on local disk, read once to learn its length, digest and (for segments) page header. */
record LocalWalFile(ObjectHeader header, Optional<WalSegmentHeader> segmentHeader) {

    static LocalWalFile inspect(Path file, WalFileName name) throws IOException {
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a directory, not a WAL file");
        }
        ObjectHeader header;
        byte[] first = new byte[WalSegmentHeader.LENGTH];
        int firstLength;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            in.mark(WalSegmentHeader.LENGTH);
            firstLength = in.readNBytes(first, 0, first.length);
            in.reset();
            header = WalArchive.digestOf(in);
        }
        Optional<SegmentFileName> segment = Optional.empty();
        if (name instanceof SegmentFileName s) {
            segment = Optional.of(s);
        } else if (name instanceof PartialSegmentFileName p) {
            segment = Optional.of(p.segment());
        }
        if (segment.isEmpty()) {
            return new LocalWalFile(header, Optional.empty());
        }
        if (firstLength < WalSegmentHeader.LENGTH) {
            throw new IllegalArgumentException(file + " is not a WAL segment: only " + header.plainLength() + " bytes");
        }
        WalSegmentHeader pageHeader;
        try {
            pageHeader = WalSegmentHeader.read(first);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
        if (header.plainLength() != pageHeader.segmentSize()) {
            throw new IllegalArgumentException(file + " is " + header.plainLength() + " bytes, but its header says segments are "
                    + pageHeader.segmentSize() + " bytes");
        }
        long expectedStart = segment.get().startLsn(pageHeader.walSegmentSize()).value();
        if (pageHeader.pageAddress().value() != expectedStart) {
            throw new IllegalArgumentException(file + " does not hold segment " + segment.get().fileName()
                    + ": its first page is at LSN " + pageHeader.pageAddress());
        }
        return new LocalWalFile(header, Optional.of(pageHeader));
    }
}
