package io.walstash.core.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Locale;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WalFileNameTest {
    /**
     * PostgreSQL's IsXLogFileName, IsPartialXLogFileName, IsTLHistoryFileName and (the form
     * BackupHistoryFileName writes of) IsBackupHistoryFileName, written independently of the parser.
     */
    private static final Pattern POSTGRES_NAME =
            Pattern.compile("[0-9A-F]{24}|[0-9A-F]{24}\\.partial|[0-9A-F]{8}\\.history|[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup");

    private static boolean isValid(String name) {
        return POSTGRES_NAME.matcher(name).matches() && !name.startsWith("00000000");
    }

    @Test
    void contentSegmentIsTheSegmentWhoseWalTheBytesAre() {
        SegmentFileName segment = new SegmentFileName(1, 0, 3);
        assertThat(WalFileName.parse("000000010000000000000003").contentSegment()).contains(segment);
        assertThat(WalFileName.parse("000000010000000000000003.partial").contentSegment()).contains(segment);
        // text files: a backup history file names a segment, but its bytes are not that segment's WAL
        assertThat(WalFileName.parse("000000010000000000000003.00000028.backup").contentSegment()).isEmpty();
        assertThat(WalFileName.parse("00000001.history").contentSegment()).isEmpty();
    }

    @Test
    void namedSegmentAddsABackupHistoryFilesStartSegment() {
        SegmentFileName segment = new SegmentFileName(1, 0, 3);
        assertThat(WalFileName.parse("000000010000000000000003").namedSegment()).contains(segment);
        assertThat(WalFileName.parse("000000010000000000000003.partial").namedSegment()).contains(segment);
        assertThat(WalFileName.parse("000000010000000000000003.00000028.backup").namedSegment()).contains(segment);
        assertThat(WalFileName.parse("00000001.history").namedSegment()).isEmpty();
    }

    @Test
    void parsesEachKind() {
        assertThat(WalFileName.parse("000000010000000000000003"))
                .isEqualTo(new SegmentFileName(1, 0, 3));
        assertThat(WalFileName.parse("000000010000000000000003.partial"))
                .isEqualTo(new PartialSegmentFileName(new SegmentFileName(1, 0, 3)));
        assertThat(WalFileName.parse("0000000A.history"))
                .isEqualTo(new HistoryFileName(10));
        assertThat(WalFileName.parse("00000001.history"))
                .isEqualTo(new HistoryFileName(1));
        assertThat(WalFileName.parse("000000010000000000000002.00000028.backup"))
                .isEqualTo(new BackupHistoryFileName(new SegmentFileName(1, 0, 2), 0x28));
    }

    @Test
    void exposesTimelineAndNameWhateverTheKind() {
        for (String text : new String[] {"000000050000000000000003", "000000050000000000000003.partial",
            "00000005.history", "000000050000000000000002.00000028.backup"}) {
            WalFileName name = WalFileName.parse(text);
            assertThat(name.timeline()).as(text).isEqualTo(5);
            assertThat(name.fileName()).isEqualTo(text);
            assertThat(name).hasToString(text);
            int kinds = (name instanceof SegmentFileName ? 1 : 0) + (name instanceof PartialSegmentFileName ? 1 : 0)
                    + (name instanceof HistoryFileName ? 1 : 0) + (name instanceof BackupHistoryFileName ? 1 : 0);
            assertThat(kinds).isEqualTo(1);
        }
    }

    @Test
    void backupHistoryNamesTheStartSegmentAndOffset() {
        BackupHistoryFileName name = BackupHistoryFileName.of(1, Lsn.parse("0/2000028"), WalSegmentSize.DEFAULT);
        assertThat(name).hasToString("000000010000000000000002.00000028.backup");
        assertThat(name.startLsn(WalSegmentSize.DEFAULT)).isEqualTo(Lsn.parse("0/2000028"));
        BackupHistoryFileName big = BackupHistoryFileName.parse("000000010000000000000002.01000000.backup");
        assertThatThrownBy(() -> big.startLsn(WalSegmentSize.DEFAULT))
                .hasMessageContaining("beyond the end of a 16 MiB segment");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "0000000100000000000000ff|upper-case",
        "000000000000000000000001|timeline 0",
        "000000000000000000000001.partial|timeline 0",
        "00000000.history|timeline 0",
        "000000000000000000000001.00000028.backup|timeline 0",
        "pg_wal/000000010000000000000001|not a path",
        "..\\000000010000000000000001|not a path",
        "00000001000000000000001|expected a segment name",
        "0000000100000000000000001|expected a segment name",
        "00000001000000000000000G|'G' at index 23",
        "00000001 000000000000001|' ' at index 8",
        "000000010000000000000001.PARTIAL|expected a segment name",
        "000000010000000000000001.partial.zst|expected a segment name",
        "00000001000000000000001.partial|followed by .partial",
        "0000000000000001.history|followed by .history",
        "0000000a.history|upper-case",
        "000000010000000000000001.backup|8 upper-case hex digits and .backup",
        "000000010000000000000001.0000028.backup|8 upper-case hex digits and .backup",
        "000000010000000000000001.0000002g.backup|'g' at index 32 is not a hex digit",
        "000000010000000000000001.0000002f.backup|upper-case",
        "000000010000000000000001-00000028.backup|8 upper-case hex digits and .backup",
        "README|expected a segment name",
        "archive_status|expected a segment name",
    })
    void rejectsNamesPostgresWouldNotWrite(String name, String reason) {
        assertThatThrownBy(() -> WalFileName.parse(name))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("malformed WAL file name '" + name + "': ")
                .hasMessageContaining(reason);
        assertThat(WalFileName.isWalFileName(name)).isFalse();
    }

    @Test
    void rejectsTheEmptyName() {
        assertThatThrownBy(() -> WalFileName.parse("")).hasMessageStartingWith("malformed WAL file name '': ");
    }

    @Test
    void eachKindsParserAcceptsOnlyItsKind() {
        assertThatThrownBy(() -> SegmentFileName.parse("000000010000000000000003.partial"))
                .hasMessageStartingWith("malformed WAL file name '000000010000000000000003.partial': ");
        assertThatThrownBy(() -> PartialSegmentFileName.parse("000000010000000000000003"))
                .hasMessageContaining(".partial");
        assertThatThrownBy(() -> HistoryFileName.parse("000000010000000000000003"))
                .hasMessageContaining(".history");
        assertThatThrownBy(() -> BackupHistoryFileName.parse("00000003.history"))
                .hasMessageContaining(".backup");
    }

    @Property
    void acceptsExactlyPostgresNames(@ForAll("nameLike") String name) {
        checkAgainstOracle(name);
    }

    @Property
    void rejectsArbitraryStringsThatAreNotNames(@ForAll String name) {
        checkAgainstOracle(name);
    }

    @Property
    void everyKindRoundTrips(@ForAll("walFileNames") WalFileName name) {
        assertThat(WalFileName.parse(name.fileName())).isEqualTo(name);
        assertThat(isValid(name.fileName())).isTrue();
    }

    private static void checkAgainstOracle(String name) {
        if (isValid(name)) {
            WalFileName parsed = WalFileName.parse(name);
            assertThat(parsed.fileName()).isEqualTo(name);
            assertThat(WalFileName.isWalFileName(name)).isTrue();
        } else {
            assertThatThrownBy(() -> WalFileName.parse(name))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("malformed WAL file name '" + name + "': ");
            assertThat(WalFileName.isWalFileName(name)).isFalse();
        }
    }

    @Provide
    Arbitrary<WalFileName> walFileNames() {
        Arbitrary<SegmentFileName> segments = WalTestArbitraries.sizes().flatMap(WalTestArbitraries::segments);
        Arbitrary<Long> uint32 = Arbitraries.longs().between(0, 0xFFFF_FFFFL);
        return Arbitraries.oneOf(
                segments.map(s -> s),
                segments.map(PartialSegmentFileName::new),
                WalTestArbitraries.timelines().map(HistoryFileName::new),
                segments.flatMap(s -> uint32.map(offset -> new BackupHistoryFileName(s, offset))));
    }

    /** Valid names and near misses: one character replaced, inserted or deleted, or case changed. */
    @Provide
    Arbitrary<String> nameLike() {
        Arbitrary<String> valid = walFileNames().map(WalFileName::fileName);
        Arbitrary<Character> nearChars = Arbitraries.of('0', '1', '9', 'A', 'F', 'a', 'f', 'G', 'g', '.', '/', ' ', '-', '\u0660');
        return Arbitraries.oneOf(
                valid,
                valid.flatMap(s -> Arbitraries.integers().between(0, s.length() - 1)
                        .flatMap(i -> nearChars.map(c -> s.substring(0, i) + c + s.substring(i + 1)))),
                valid.flatMap(s -> Arbitraries.integers().between(0, s.length())
                        .flatMap(i -> nearChars.map(c -> s.substring(0, i) + c + s.substring(i)))),
                valid.flatMap(s -> Arbitraries.integers().between(0, s.length() - 1)
                        .map(i -> s.substring(0, i) + s.substring(i + 1))),
                valid.map(s -> s.toLowerCase(Locale.ROOT)),
                valid.map(s -> "00000000" + s.substring(8)),
                Arbitraries.strings().withChars("0123456789ABCDEFabcdef.partilhsorybck/").ofMaxLength(45));
    }
}
