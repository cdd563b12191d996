package io.walstash.core.verify;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What {@link WalChainVerifier} found: which segments are stored and missing from the oldest
 * backup's start to the end of the archive, along the timelines the newest timeline's history
 * leads through, and whether that restores the newest backup to the end ({@link #verdict}).
 *
 * @param segmentSize      bytes per segment; {@code segmentSizeSource} says where that came from
 * @param systemIdentifier the cluster the repository serves, or null when neither marker nor backup says
 * @param latestTimeline   the newest timeline in the archive, the one recovery to 'latest' ends on
 * @param timelinePath     the timelines recovery passes through to reach it, oldest first
 * @param first            the first segment checked (the oldest backup's start), or null when there is nothing
 * @param last             the end of the archive: the newest segment stored on the path, or null
 * @param present          runs of stored segments on every timeline, from {@code first} on
 * @param gaps             runs of segments missing on the path between {@code first} and {@code last}
 * @param switches         timeline switches the history files record
 * @param backups          how far each backup can be restored
 * @param corrupt          objects that failed a check (every WAL object with {@code deep}; history files always)
 * @param problems         other findings that break the chain, such as a missing history file
 * @param objectsRead      WAL objects downloaded and checked
 * @param unverified       of those, objects without a checksum (WAL-G's), checked for decoding and headers only
 */
public record WalChainReport(
        Instant checkedAt,
        Duration lateWindow,
        boolean deep,
        int segmentSize,
        String segmentSizeSource,
        String systemIdentifier,
        long latestTimeline,
        List<Long> timelinePath,
        String first,
        String last,
        List<Range> present,
        List<Gap> gaps,
        List<TimelineSwitch> switches,
        List<BackupReach> backups,
        List<CorruptObject> corrupt,
        List<String> problems,
        long objectsRead,
        long unverified,
        Verdict verdict) {

    public WalChainReport {
        Objects.requireNonNull(checkedAt, "checkedAt");
        Objects.requireNonNull(verdict, "verdict");
        timelinePath = List.copyOf(timelinePath);
        present = List.copyOf(present);
        gaps = List.copyOf(gaps);
        switches = List.copyOf(switches);
        backups = List.copyOf(backups);
        corrupt = List.copyOf(corrupt);
        problems = List.copyOf(problems);
    }

    /** Consecutive stored segments {@code first}..{@code last} of one timeline. */
    public record Range(long timeline, String first, String last, long count) {
    }

    /**
     * Consecutive missing segments of one timeline. {@code late}: every segment stored after it was
     * stored within the late window, so archiving may still bring it.
     */
    public record Gap(long timeline, String first, String last, long count, boolean late) {
    }

    /**
     * Timeline {@code to} branched off {@code from} at {@code lsn}; {@code segment} is the first
     * segment on {@code to}. {@code onPath}: recovery to the newest timeline takes this switch.
     */
    public record TimelineSwitch(long from, long to, String lsn, String segment, boolean onPath) {
    }

    /**
     * How far backup {@code name} restores. {@code onPath}: its start lies on the newest timeline's
     * history. {@code firstMissing}: the first segment after its start that is missing and not
     * late, or null. {@code restorableToEnd}: on the path, nothing missing, nothing corrupt.
     */
    public record BackupReach(String name, String startSegment, boolean onPath, String firstMissing,
                              boolean restorableToEnd) {
    }

    public long missingSegments() {
        return gaps.stream().mapToLong(Gap::count).sum();
    }
}
