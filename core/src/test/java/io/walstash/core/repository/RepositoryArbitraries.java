package io.walstash.core.repository;

import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.PartialSegmentFileName;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.time.Instant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generators of stored keys: WAL file names of every kind, in both folders, and garbage beside them. */
final class RepositoryArbitraries {
    private RepositoryArbitraries() {
    }

    /** Few timelines and positions, so that generated sets hold the same file more than once. */
    static Arbitrary<SegmentFileName> segments() {
        return Combinators.combine(Arbitraries.longs().between(1, 3), Arbitraries.longs().between(0, 2),
                Arbitraries.longs().between(0, 5)).as(SegmentFileName::new);
    }

    static Arbitrary<WalFileName> walFileNames() {
        return Arbitraries.oneOf(
                segments().map(s -> (WalFileName) s),
                segments().map(s -> (WalFileName) new PartialSegmentFileName(s)),
                Combinators.combine(segments(), Arbitraries.longs().between(0, 0xFFFF_FFFFL))
                        .as((s, offset) -> (WalFileName) new BackupHistoryFileName(s, offset)),
                Arbitraries.longs().between(1, 0xFFFF_FFFFL).map(t -> (WalFileName) new HistoryFileName(t)));
    }

    /**
     * Extensions: the real codecs', the test codec's, and any other lower-case one. Not "partial",
     * which would make {@code X.partial} two things (no codec may use it).
     */
    static Arbitrary<String> extensions() {
        return Arbitraries.oneOf(Arbitraries.of("zst", "lz4", "br", "gz", "xz", "lzma", "raw", "dft"),
                Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').ofMinLength(1).ofMaxLength(6))
                .filter(e -> !e.equals("partial"));
    }

    /** A key walstash writes, or one WAL-G writes (with or without an extension). */
    static Arbitrary<WalKey> walKeys() {
        return Combinators.combine(Arbitraries.of(WalFolder.class), walFileNames(),
                        Arbitraries.oneOf(extensions(), Arbitraries.just("")))
                .as((folder, name, extension) -> new WalKey(WalKey.format(folder, name.fileName(), extension),
                        folder, name, extension));
    }

    /**
     * Keys beside the WAL: strays, sub-folders, truncated or lower-case names, other folders. Most
     * hold no WAL file; a lower-cased name without hex letters still does, which is fine here.
     */
    static Arbitrary<String> foreignKeys() {
        Arbitrary<String> junk = Arbitraries.strings().ofMinLength(0).ofMaxLength(30)
                .withChars("0123456789ABCDEFabcdef./_-xyz\u00e9 ");
        return Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of(WalFolder.class), junk).as((f, j) -> f.prefix() + j),
                walKeys().map(k -> k.folder().prefix() + "sub/" + k.key().substring(k.folder().prefix().length())),
                walKeys().map(k -> k.key().toLowerCase(java.util.Locale.ROOT)),
                walKeys().map(k -> k.key().substring(0, Math.min(k.key().length(), k.folder().prefix().length() + 23))),
                walKeys().map(k -> "backups/" + k.key()));
    }

    static Arbitrary<ObjectInfo> listed(Arbitrary<String> keys) {
        return Combinators.combine(keys, Arbitraries.longs().between(0, 1 << 24),
                        Arbitraries.longs().between(0, 4_000_000_000L))
                .as((key, size, second) -> new ObjectInfo(key, size, Instant.ofEpochSecond(second)));
    }
}
