package io.walstash.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.WalSegmentFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAL chain check on in-memory storage, with 1 MiB segments pushed through the real archive. */
class WalChainVerifierTest {
    private static final long SYSTEM = 7_312_345_678_901_234_567L;
    private static final Duration WINDOW = Duration.ofMinutes(5);

    @TempDir
    Path pgWal;

    private final InMemoryStorage storage = new InMemoryStorage();
    private final Codec codec = new DeflateTestCodec();
    private final Codecs codecs = Codecs.of(List.of(codec));
    private final WalArchive archive = new WalArchive(storage, codec, codecs, "walstash test", Clock.systemUTC());

    private static String segment(long timeline, long number) {
        return String.format("%08X%08X%08X", timeline, 0, number);
    }

    private static String lsn(long segment, long offset) {
        return "0/" + Long.toHexString(segment * WalSegmentFiles.SEGMENT_SIZE + offset).toUpperCase();
    }

    private void push(long timeline, long... numbers) throws IOException {
        for (long n : numbers) {
            archive.push(WalSegmentFiles.segment(pgWal, segment(timeline, n), SYSTEM, n * 31 + timeline));
        }
    }

    private void pushHistory(long timeline, String text) throws IOException {
        Path file = pgWal.resolve(String.format("%08X.history", timeline));
        Files.writeString(file, text);
        archive.push(file);
    }

    private void backup(String name, long timeline, long startSegment, long stopSegment) throws IOException {
        BackupManifest m = new BackupManifest(1, name, lsn(startSegment, 0x28), lsn(stopSegment, 0x100), timeline,
                segment(timeline, startSegment), segment(timeline, stopSegment), Long.toUnsignedString(SYSTEM), 150004,
                "2026-11-24T00:00:00Z", "2026-11-24T00:01:00Z", null, "deflate-test", 8192, true, 0, 0, false,
                null, null, null, null, null, "test");
        storage.createIfAbsent(RepositoryLayout.manifestKey(name), new ByteArrayInputStream(m.toJson()));
    }

    /** A clock well past every store: nothing is late. */
    private WalChainReport verifyLater(boolean deep) throws IOException {
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC);
        return new WalChainVerifier(storage, codecs, later).verify(WINDOW, deep, 2);
    }

    @Test
    void healthyChainFromTheOldestBackupToTheEndIsOk() throws IOException {
        push(1, 1, 2, 3, 4, 5, 6);
        backup("base_a", 1, 2, 2);
        backup("base_b", 1, 4, 5);

        WalChainReport report = verifyLater(false);

        assertThat(report.verdict()).isEqualTo(new Verdict.Ok());
        assertThat(report.first()).isEqualTo(segment(1, 2));
        assertThat(report.last()).isEqualTo(segment(1, 6));
        assertThat(report.present()).containsExactly(new WalChainReport.Range(1, segment(1, 2), segment(1, 6), 5));
        assertThat(report.gaps()).isEmpty();
        assertThat(report.segmentSize()).isEqualTo(WalSegmentFiles.SEGMENT_SIZE);
        assertThat(report.segmentSizeSource()).isEqualTo("repository marker");
        assertThat(report.backups()).allMatch(WalChainReport.BackupReach::restorableToEnd);
        assertThat(report.objectsRead()).isZero();
    }

    @Test
    void missingSegmentAfterTheNewestBackupBreaksTheChain() throws IOException {
        push(1, 2, 3, 5, 6);
        backup("base_a", 1, 2, 3);

        WalChainReport report = verifyLater(false);

        assertThat(report.gaps()).containsExactly(new WalChainReport.Gap(1, segment(1, 4), segment(1, 4), 1, false));
        assertThat(report.verdict()).isInstanceOf(Verdict.Broken.class);
        assertThat(((Verdict.Broken) report.verdict()).reasons()).anyMatch(r -> r.contains(segment(1, 4)));
        assertThat(report.backups().get(0).firstMissing()).isEqualTo(segment(1, 4));
        assertThat(report.present()).extracting(WalChainReport.Range::count).containsExactly(2L, 2L);
    }

    @Test
    void segmentOvertakenMomentsAgoIsLateNotLost() throws IOException {
        push(1, 2, 3, 5, 6);
        backup("base_a", 1, 2, 3);

        WalChainReport report = new WalChainVerifier(storage, codecs, Clock.systemUTC()).verify(WINDOW, false, 1);

        assertThat(report.gaps()).containsExactly(new WalChainReport.Gap(1, segment(1, 4), segment(1, 4), 1, true));
        assertThat(report.verdict()).isEqualTo(new Verdict.LateOnly(1));
        // a zero window makes the same gap a loss
        WalChainReport strict = new WalChainVerifier(storage, codecs, Clock.systemUTC()).verify(Duration.ZERO, false, 1);
        assertThat(strict.verdict()).isInstanceOf(Verdict.Broken.class);
    }

    @Test
    void gapBeforeTheNewestBackupOnlyCostsTheOlderOne() throws IOException {
        push(1, 1, 3, 4, 5);
        backup("base_old", 1, 1, 1);
        backup("base_new", 1, 3, 4);

        WalChainReport report = verifyLater(false);

        assertThat(report.verdict()).isEqualTo(new Verdict.Ok());
        assertThat(report.gaps()).extracting(WalChainReport.Gap::first).containsExactly(segment(1, 2));
        assertThat(report.backups()).extracting(WalChainReport.BackupReach::restorableToEnd).containsExactly(false, true);
    }

    @Test
    void followsTheNewestTimelineThroughItsHistory() throws IOException {
        // timeline 2 branched in segment 3: segments 1-2 come from timeline 1, 3 onwards from timeline 2
        push(1, 1, 2, 3, 4);
        pushHistory(2, "1\t" + lsn(3, 0x8000) + "\tno recovery target specified\n");
        push(2, 3, 4, 5);
        backup("base_a", 1, 1, 2);

        WalChainReport report = verifyLater(false);

        assertThat(report.verdict()).isEqualTo(new Verdict.Ok());
        assertThat(report.latestTimeline()).isEqualTo(2);
        assertThat(report.timelinePath()).containsExactly(1L, 2L);
        assertThat(report.last()).isEqualTo(segment(2, 5));
        assertThat(report.switches()).containsExactly(
                new WalChainReport.TimelineSwitch(1, 2, lsn(3, 0x8000), segment(2, 3), true));
        assertThat(report.present()).contains(new WalChainReport.Range(1, segment(1, 1), segment(1, 4), 4),
                new WalChainReport.Range(2, segment(2, 3), segment(2, 5), 3));

        // timeline 1's own segment 4 does not stand in for timeline 2's
        storage.delete("wal/" + segment(2, 4) + ".dft");
        WalChainReport broken = verifyLater(false);
        assertThat(broken.gaps()).containsExactly(new WalChainReport.Gap(2, segment(2, 4), segment(2, 4), 1, false));
        assertThat(broken.verdict()).isInstanceOf(Verdict.Broken.class);
    }

    @Test
    void newestTimelineWithoutItsHistoryFileIsBroken() throws IOException {
        push(1, 1, 2, 3);
        push(2, 3, 4);
        backup("base_a", 1, 1, 1);

        WalChainReport report = verifyLater(false);

        assertThat(report.verdict()).isInstanceOf(Verdict.Broken.class);
        assertThat(((Verdict.Broken) report.verdict()).reasons()).anyMatch(r -> r.contains("00000002.history"));
    }

    @Test
    void deepCheckReadsEveryObjectAndNamesTheCorruptOnes() throws IOException {
        push(1, 1, 2, 3, 4);
        backup("base_a", 1, 1, 2);
        String flipped = "wal/" + segment(1, 2) + ".dft";
        byte[] bytes = storage.bytes(flipped);
        bytes[bytes.length / 2] ^= 0x10;
        storage.corrupt(flipped, bytes);
        // a well-formed object of segment 1 stored under segment 3's name: the page address gives it away
        String misnamed = "wal/" + segment(1, 3) + ".dft";
        storage.corrupt(misnamed, storage.bytes("wal/" + segment(1, 1) + ".dft"));

        assertThat(verifyLater(false).corrupt()).as("without --deep nothing is read").isEmpty();
        WalChainReport report = verifyLater(true);

        assertThat(report.objectsRead()).isEqualTo(4);
        assertThat(report.corrupt()).extracting(CorruptObject::key).containsExactly(flipped, misnamed);
        assertThat(report.corrupt().get(0).problem()).contains(flipped);
        assertThat(report.corrupt().get(1).problem()).contains("starts at 0/100000");
        assertThat(report.verdict()).isInstanceOf(Verdict.Broken.class);
    }

    @Test
    void deepCheckRejectsASegmentOfAnotherSystem() throws IOException {
        push(1, 1, 2);
        InMemoryStorage other = new InMemoryStorage();
        WalArchive foreign = new WalArchive(other, codec, codecs, "other", Clock.systemUTC());
        Path dir = Files.createDirectory(pgWal.resolve("foreign"));
        foreign.push(WalSegmentFiles.segment(dir, segment(1, 3), 42L, 3));
        storage.corrupt("wal/" + segment(1, 3) + ".dft", other.bytes("wal/" + segment(1, 3) + ".dft"));

        WalChainReport report = verifyLater(true);

        assertThat(report.corrupt()).singleElement().satisfies(c -> {
            assertThat(c.key()).isEqualTo("wal/" + segment(1, 3) + ".dft");
            assertThat(c.problem()).contains("system 42");
        });
    }

    @Test
    void backupVerifierFindsMissingWalOfABackup() throws IOException {
        push(1, 2, 4);
        backup("base_a", 1, 2, 4);
        BackupReport report = new BackupVerifier(storage, codecs, 2, new java.io.PrintWriter(java.io.Writer.nullWriter()))
                .verify(List.of(new BackupCatalog(storage).read("base_a")), null);
        assertThat(report.backups().get(0).missingWal()).containsExactly(segment(1, 3));
        assertThat(report.passed()).isFalse();
    }
}
