package io.walstash.core.archive;

import io.walstash.core.io.Digests;
import io.walstash.core.wal.BackupHistoryFile;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import io.walstash.core.wal.TimelineHistory;
import io.walstash.core.wal.WalSegmentHeader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * A WAL file on local disk and what a push checks before uploading it: its length, digest and
 * (for segments) page header.
 */
record LocalWalFile(ObjectHeader header, Optional<WalSegmentHeader> segmentHeader) {

    /** Reads {@code file} once, streaming, to learn its length, digest and page header. */
    static LocalWalFile inspect(Path file, WalFileName name) throws IOException {
        refuseDirectory(file);
        try (InputStream in = Files.newInputStream(file)) {
            return inspect(file, name, in);
        }
    }

    /** Reads {@code content}, the bytes of the WAL file named as {@code file}, once to its end to inspect them. */
    static LocalWalFile inspect(Path file, WalFileName name, InputStream content) throws IOException {
        ObjectHeader header;
        byte[] first = new byte[WalSegmentHeader.LENGTH];
        int firstLength;
        InputStream in = new BufferedInputStream(content, 1 << 20);
        in.mark(WalSegmentHeader.LENGTH);
        firstLength = in.readNBytes(first, 0, first.length);
        in.reset();
        header = WalArchive.digestOf(in);
        return checked(file, name, header, first, firstLength);
    }

    /** Inspects the {@code length} bytes of {@code file} already read into {@code bytes}. */
    static LocalWalFile inspect(Path file, WalFileName name, byte[] bytes, int length) throws IOException {
        MessageDigest digest = Digests.sha256();
        digest.update(bytes, 0, length);
        // the bytes in hand are the file: a history file's content is checked from them, not read
        // again. Only a history file's: a segment's 16 MiB as text were a second copy of every
        // segment pushed (allocated, zeroed and copied), which nothing reads.
        String content = name.contentSegment().isPresent() ? null : new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        return checked(file, name, new ObjectHeader(length, digest.digest()), bytes,
                Math.min(length, WalSegmentHeader.LENGTH), content);
    }

    static void refuseDirectory(Path file) throws FileSystemException {
        if (Files.isDirectory(file)) {
            throw new FileSystemException(file.toString(), null, "is a directory, not a WAL file");
        }
    }

    /** {@code first} holds the file's first {@code firstLength} bytes (at most a page header's worth is looked at). */
    private static LocalWalFile checked(Path file, WalFileName name, ObjectHeader header, byte[] first,
                                        int firstLength) throws IOException {
        return checked(file, name, header, first, firstLength, null);
    }

    /** {@code content}: the whole file as ISO-8859-1 text when already read, or null to read it for a history file. */
    private static LocalWalFile checked(Path file, WalFileName name, ObjectHeader header, byte[] first,
                                        int firstLength, String content) throws IOException {
        Optional<SegmentFileName> segment = name.contentSegment();
        if (segment.isEmpty()) {
            checkContent(file, name, header.plainLength(), content);
            return new LocalWalFile(header, Optional.empty());
        }
        if (firstLength < WalSegmentHeader.LENGTH) {
            throw new IllegalArgumentException(file + " is not a WAL segment: only " + header.plainLength() + " bytes");
        }
        WalSegmentHeader pageHeader;
        try {
            pageHeader = WalSegmentHeader.read(ByteBuffer.wrap(first, 0, firstLength));
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

    /**
     * A timeline history or backup history file must be what its name says: PostgreSQL chooses
     * timelines and recovery start points by them, so a malformed one is refused before it enters
     * the repository, with the problem named.
     */
    private static void checkContent(Path file, WalFileName name, long length, String content) throws IOException {
        if (length > WalArchive.legitimateSize(name)) {
            throw new IllegalArgumentException(file + " is " + length + " bytes, more than a "
                    + (name instanceof HistoryFileName ? "timeline history" : "backup history") + " file can be");
        }
        // ISO-8859-1 maps every byte: a reason text in any encoding parses
        String text = content != null ? content : Files.readString(file, StandardCharsets.ISO_8859_1);
        try {
            if (name instanceof HistoryFileName history) {
                TimelineHistory.parse(history.timeline(), text);
            } else if (name instanceof BackupHistoryFileName backup) {
                BackupHistoryFile.parse(backup, text);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " is not a valid " + (name instanceof HistoryFileName
                    ? "timeline history" : "backup history") + " file: " + e.getMessage(), e);
        }
    }
}
