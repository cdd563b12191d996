package io.walstash.core.wal;

import java.util.Objects;
import java.util.Optional;

/**
 * A file PostgreSQL archives: a WAL segment, a partial segment, a timeline history file or a
 * backup history file. {@link #parse} accepts exactly the names PostgreSQL's
 * {@code IsXLogFileName}, {@code IsPartialXLogFileName}, {@code IsTLHistoryFileName} and
 * {@code IsBackupHistoryFileName} accept, except that timeline 0 (which PostgreSQL never uses) is
 * rejected, and a backup history name must have the {@code .<8 hex>.backup} form that PostgreSQL
 * writes rather than merely end in {@code .backup}.
 */
public sealed interface WalFileName
        permits SegmentFileName, PartialSegmentFileName, HistoryFileName, BackupHistoryFileName {

    /** The file name, as PostgreSQL writes it. */
    String fileName();

    /** The timeline the file belongs to, 1 to {@code FFFFFFFF}. */
    long timeline();

    /**
     * The segment whose WAL this file's bytes are: a segment's own name, a partial segment's
     * segment; empty for history and backup history files, whose bytes are text.
     */
    default Optional<SegmentFileName> contentSegment() {
        return Optional.empty();
    }

    /**
     * The segment this name names, where the file lies in its timeline's WAL: the content segment,
     * or a backup history file's start segment; empty for a timeline history file (it lies at its
     * timeline's start and names no segment).
     */
    default Optional<SegmentFileName> namedSegment() {
        return contentSegment();
    }

    /**
     * Parses any of the four kinds of name.
     *
     * @throws IllegalArgumentException {@code malformed WAL file name '<name>': <reason>}
     */
    static WalFileName parse(String name) {
        Objects.requireNonNull(name, "name");
        WalNames.requireBareName(name);
        if (name.endsWith(PartialSegmentFileName.SUFFIX)) {
            return PartialSegmentFileName.parse(name);
        }
        if (name.endsWith(HistoryFileName.SUFFIX)) {
            return HistoryFileName.parse(name);
        }
        if (name.endsWith(BackupHistoryFileName.SUFFIX)) {
            return BackupHistoryFileName.parse(name);
        }
        if (name.length() == SegmentFileName.LENGTH) {
            return SegmentFileName.parse(name);
        }
        throw WalNames.malformed(name, "expected a segment name (24 upper-case hex digits),"
                + " a segment name followed by .partial, <8 hex digits>.history"
                + " or <segment name>.<8 hex digits>.backup");
    }

    /** Whether {@link #parse} accepts {@code name}. */
    static boolean isWalFileName(String name) {
        Objects.requireNonNull(name, "name");
        try {
            parse(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
