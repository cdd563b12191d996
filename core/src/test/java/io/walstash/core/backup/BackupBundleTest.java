package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.storage.ForwardingStorage;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.verify.BackupReport;
import io.walstash.core.verify.BackupVerifier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small files stored together in a bundle object (manifest format 5): written one codec stream
 * after another, restored from one front-to-back read, each member checked on its own, and read
 * alone (a range) when the sequential read is damaged or cannot serve it.
 */
class BackupBundleTest {
    private static final String NAME = "base_000000010000000000000002";
    private static final String DELTA = "base_000000010000000000000004_D_000000010000000000000002";

    @TempDir
    Path destination;

    private final InMemoryStorage storage = new InMemoryStorage();
    /** Where bundled() and backup() write: the repository itself, or an encrypting layer over it. */
    private Storage writeTo = storage;
    private final Codec codec = new DeflateTestCodec();
    private final Codecs codecs = Codecs.of(List.of(codec));
    private final Random random = new Random(7);

    @Test
    void membersFollowEachOtherAndAGoneFileIsLeftOut() throws IOException {
        List<byte[]> contents = List.of(pageLike(8192), new byte[0], pageLike(100_000), pageLike(1));
        List<StoredObjects.BundleMember> members = new ArrayList<>();
        for (int i = 0; i < contents.size(); i++) {
            byte[] content = contents.get(i);
            members.add(i == 1 ? () -> null : () -> new ByteArrayInputStream(content));
        }
        String key = RepositoryLayout.bundleKey(NAME, 0, codec);
        List<StoredObjects.StoredMember> stored = StoredObjects.putBundle(storage, key, members, codec);

        assertThat(stored).extracting(StoredObjects.StoredMember::index).containsExactly(0, 2, 3);
        long offset = 0;
        for (StoredObjects.StoredMember member : stored) {
            assertThat(member.storedOffset()).isEqualTo(offset);
            assertThat(member.stored().plainSize()).isEqualTo(contents.get(member.index()).length);
            assertThat(member.stored().hashed()).isEqualTo(BackupManifest.HashedBytes.STORED);
            offset += member.stored().storedSize();
        }
        assertThat(storage.bytes(key)).hasSize((int) offset);
        // each member reads alone, through its range
        for (StoredObjects.StoredMember member : stored) {
            try (InputStream in = StoredObjects.open(storage, codecs, entry("base/1/" + member.index(), member, key))) {
                assertThat(in.readAllBytes()).isEqualTo(contents.get(member.index()));
            }
        }
    }

    @Test
    void aBundleIsRestoredFromOneReadAndEveryFileIsExact() throws IOException {
        Map<String, byte[]> files = files(40);
        BackupManifest backup = backup(NAME, null, bundled(NAME, files, 2));
        CountingReads counting = new CountingReads(storage);

        fetch(counting, backup, 3);

        assertRestored(files);
        assertThat(counting.reads).as("one read of each of the two bundles, besides pg_control's object")
                .hasSize(3).allSatisfy((key, reads) -> assertThat(reads.get()).isEqualTo(1));
        assertThat(counting.ranges.get()).isZero();
    }

    @Test
    void aMemberDamagedAtRestFailsTheRestoreNamingTheBundleAndTheFileAndLeavesNothing() throws IOException {
        Map<String, byte[]> files = files(10);
        List<BackupManifest.FileEntry> entries = bundled(NAME, files, 1);
        BackupManifest backup = backup(NAME, null, entries);
        BackupManifest.FileEntry victim = damageAtRest(entries.get(4));

        assertThatThrownBy(() -> fetch(storage, backup, 2))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(victim.objectKey())
                .hasMessageContaining(victim.path() + ", at " + victim.storedOffset());
        try (Stream<Path> left = Files.list(destination)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aMemberDamagedOnTheWayAndEveryMemberAfterItAreReadAloneAndTheRestoreIsExact() throws IOException {
        Map<String, byte[]> files = files(12);
        List<BackupManifest.FileEntry> entries = bundled(NAME, files, 1);
        BackupManifest backup = backup(NAME, null, entries);
        BackupManifest.FileEntry victim = entries.get(5);
        FlipFirstRead flipping = new FlipFirstRead(storage, victim.objectKey(), victim.storedOffset() + 3);

        fetch(flipping, backup, 2);

        assertRestored(files);
        assertThat(flipping.flipped).as("the bundle's whole read was damaged").isTrue();
        assertThat(flipping.ranges.get()).as("the damaged member and the six after it, each alone").isEqualTo(7);
    }

    @Test
    void verifyChecksEveryMemberFromOneReadOfEachBundle() throws IOException {
        Map<String, byte[]> files = files(40);
        BackupManifest backup = backup(NAME, null, bundled(NAME, files, 2));
        CountingReads counting = new CountingReads(storage);

        BackupReport.Result result = verify(counting, backup);

        assertThat(result.corrupt()).isEmpty();
        assertThat(result.objectsChecked()).isEqualTo(41);
        assertThat(result.plainBytes()).isEqualTo(files.values().stream().mapToLong(b -> b.length).sum() + 8192);
        assertThat(counting.reads).as("one read of each of the two bundles, besides pg_control's object and the marker")
                .containsOnlyKeys(RepositoryLayout.bundleKey(NAME, 0, codec), RepositoryLayout.bundleKey(NAME, 1, codec),
                        RepositoryLayout.backupFileKey(NAME, BackupFetch.PG_CONTROL, false, codec), RepositoryMarker.KEY)
                .allSatisfy((key, reads) -> assertThat(reads.get()).isEqualTo(1));
        assertThat(counting.ranges.get()).isZero();
    }

    @Test
    void verifyReportsAMemberDamagedAtRestByFileAndOffsetAndChecksTheMembersAfterItAlone() throws IOException {
        Map<String, byte[]> files = files(10);
        List<BackupManifest.FileEntry> entries = bundled(NAME, files, 1);
        BackupManifest backup = backup(NAME, null, entries);
        BackupManifest.FileEntry victim = damageAtRest(entries.get(4));
        CountingReads counting = new CountingReads(storage);

        BackupReport.Result result = verify(counting, backup);

        assertThat(result.corrupt()).singleElement().satisfies(corrupt -> {
            assertThat(corrupt.key()).isEqualTo(victim.objectKey());
            assertThat(corrupt.problem()).contains(victim.path() + ", at " + victim.storedOffset());
        });
        assertThat(counting.ranges.get()).as("the damaged member and the five after it, each alone").isEqualTo(6);
    }

    @Test
    void verifyFindsNothingWrongWithAMemberDamagedOnTheWay() throws IOException {
        Map<String, byte[]> files = files(12);
        List<BackupManifest.FileEntry> entries = bundled(NAME, files, 1);
        BackupManifest backup = backup(NAME, null, entries);
        BackupManifest.FileEntry victim = entries.get(5);
        FlipFirstRead flipping = new FlipFirstRead(storage, victim.objectKey(), victim.storedOffset() + 3);

        BackupReport.Result result = verify(flipping, backup);

        assertThat(result.corrupt()).isEmpty();
        assertThat(flipping.flipped).isTrue();
        assertThat(flipping.ranges.get()).isEqualTo(7);
    }

    @Test
    void verifyReportsAMemberPastTheBundlesEndWithoutReadingIt() throws IOException {
        Map<String, byte[]> files = files(3);
        List<BackupManifest.FileEntry> entries = new ArrayList<>(bundled(NAME, files, 1));
        BackupManifest.FileEntry last = entries.remove(2);
        entries.add(movedBy(last, 1000));
        BackupManifest backup = backup(NAME, null, entries);

        BackupReport.Result result = verify(storage, backup);

        assertThat(result.corrupt()).singleElement().satisfies(corrupt -> assertThat(corrupt.problem())
                .contains("object " + last.objectKey() + " has ").contains("at offset " + (last.storedOffset() + 1000)));
    }

    /**
     * A delta whose changed files are its own, over a full whose bundle holds them too: the restore
     * reads the full's bundle past the members it no longer needs, and files the delta left
     * unchanged point at the full's members.
     */
    @Test
    void aDeltaReadsItsBasesBundlePastTheMembersItReplaced() throws IOException {
        Map<String, byte[]> files = files(20);
        List<BackupManifest.FileEntry> fullEntries = bundled(NAME, files, 1);
        BackupManifest full = backup(NAME, null, fullEntries);
        storage.createIfAbsent(RepositoryLayout.manifestKey(NAME), new ByteArrayInputStream(full.toStoredJson()));

        Map<String, byte[]> changed = new java.util.TreeMap<>();
        List<String> paths = new ArrayList<>(files.keySet());
        for (int i = 0; i < paths.size(); i += 3) {
            changed.put(paths.get(i), pageLike(3000 + i));
        }
        List<BackupManifest.FileEntry> deltaEntries = new ArrayList<>(bundled(DELTA, changed, 1));
        for (BackupManifest.FileEntry entry : fullEntries) {
            if (!changed.containsKey(entry.path())) {
                deltaEntries.add(entry.withFile(entry.path(), entry.size(), entry.mode(), entry.modified()));
            }
        }
        BackupManifest delta = backup(DELTA, NAME, deltaEntries);
        storage.createIfAbsent(RepositoryLayout.manifestKey(DELTA), new ByteArrayInputStream(delta.toStoredJson()));
        CountingReads counting = new CountingReads(storage);

        new BackupFetch(counting, codecs, new PrintWriter(new StringWriter()))
                .fetch(DELTA, new BackupFetch.Options(destination, false, Map.of(), 2));

        Map<String, byte[]> expected = new java.util.TreeMap<>(files);
        expected.putAll(changed);
        assertRestored(expected);
        assertThat(counting.ranges.get()).isZero();
        assertThat(counting.reads.get(RepositoryLayout.bundleKey(NAME, 0, codec)).get()).isEqualTo(1);
    }

    /** A forged manifest placing two files at one member: the second is read alone, and both are that member. */
    @Test
    void twoFilesAtOneMemberAreBothRestoredFromIt() throws IOException {
        Map<String, byte[]> files = files(3);
        List<BackupManifest.FileEntry> entries = new ArrayList<>(bundled(NAME, files, 1));
        BackupManifest.FileEntry first = entries.get(0);
        entries.add(first.withFile("base/1/99999", first.size(), first.mode(), first.modified()));
        BackupManifest backup = backup(NAME, null, entries);

        fetch(storage, backup, 1);

        assertThat(Files.readAllBytes(destination.resolve("base/1/99999"))).isEqualTo(files.get(first.path()));
        assertRestored(files);
    }

    /** A manifest whose member lies past the bundle's end: the file is read alone, and fails naming its bundle. */
    @Test
    void aMemberPastTheBundlesEndFailsNamingIt() throws IOException {
        Map<String, byte[]> files = files(3);
        List<BackupManifest.FileEntry> entries = new ArrayList<>(bundled(NAME, files, 1));
        BackupManifest.FileEntry last = entries.remove(2);
        entries.add(movedBy(last, 1000));
        BackupManifest backup = backup(NAME, null, entries);

        assertThatThrownBy(() -> fetch(storage, backup, 1))
                .isInstanceOf(CorruptObjectException.class)
                .hasMessageContaining(last.objectKey()).hasMessageContaining(last.path());
    }

    /**
     * Encrypted, a bundle is one cipher stream: its members' offsets are in its decrypted bytes,
     * the restore decrypts it once, and a byte flipped at rest fails the restore naming it.
     */
    @Test
    void anEncryptedBundleIsDecryptedOnceAndATamperedByteFailsTheRestoreLeavingNothing() throws IOException {
        Storage encrypted = io.walstash.core.crypto.EncryptedStorage.over(storage,
                java.util.Optional.of(io.walstash.core.crypto.MasterKey.generate()), java.time.Clock.systemUTC());
        writeTo = encrypted;
        Map<String, byte[]> files = files(30);
        List<BackupManifest.FileEntry> entries = bundled(NAME, files, 1);
        BackupManifest backup = backup(NAME, null, entries);
        String key = entries.get(0).objectKey();
        CountingReads counting = new CountingReads(encrypted);

        fetch(counting, backup, 2);

        assertRestored(files);
        assertThat(counting.reads.get(key).get()).isEqualTo(1);
        assertThat(counting.ranges.get()).isZero();

        byte[] stored = storage.bytes(key);
        stored[stored.length / 2] ^= 0x01;
        storage.corrupt(key, stored);
        try (Stream<Path> walk = Files.walk(destination)) {
            for (Path restored : walk.filter(p -> !p.equals(destination)).sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(restored);
            }
        }

        assertThatThrownBy(() -> fetch(encrypted, backup, 2))
                .isInstanceOf(io.walstash.core.storage.BadContent.class)
                .hasMessageContaining(key);
        try (Stream<Path> left = Files.list(destination)) {
            assertThat(left).isEmpty();
        }
    }

    private static BackupManifest.FileEntry entry(String path, StoredObjects.StoredMember member, String key) {
        StoredObjects.Stored s = member.stored();
        return new BackupManifest.FileEntry(path, s.plainSize(), 0600, 0, false, key, s.sha256(), s.hashed(),
                s.plainSize(), s.storedSize(), null, null, member.storedOffset());
    }

    /** {@code files} stored in {@code bundles} bundles of backup {@code name}, in path order. */
    private List<BackupManifest.FileEntry> bundled(String name, Map<String, byte[]> files, int bundles)
            throws IOException {
        List<String> paths = new ArrayList<>(files.keySet());
        List<BackupManifest.FileEntry> entries = new ArrayList<>();
        int per = (paths.size() + bundles - 1) / bundles;
        for (int b = 0; b < bundles; b++) {
            List<String> inBundle = paths.subList(Math.min(paths.size(), b * per), Math.min(paths.size(), (b + 1) * per));
            List<StoredObjects.BundleMember> members = inBundle.stream()
                    .<StoredObjects.BundleMember>map(path -> () -> new ByteArrayInputStream(files.get(path))).toList();
            String key = RepositoryLayout.bundleKey(name, b, codec);
            for (StoredObjects.StoredMember member : StoredObjects.putBundle(writeTo, key, members, codec)) {
                entries.add(entry(inBundle.get(member.index()), member, key));
            }
        }
        return entries;
    }

    private Map<String, byte[]> files(int count) {
        Map<String, byte[]> files = new java.util.TreeMap<>();
        for (int i = 0; i < count; i++) {
            files.put("base/1/" + (16384 + i), pageLike(random.nextInt(20_000)));
        }
        return files;
    }

    private BackupManifest backup(String name, String base, List<BackupManifest.FileEntry> files) throws IOException {
        List<BackupManifest.FileEntry> all = new ArrayList<>(files);
        String controlKey = RepositoryLayout.backupFileKey(name, BackupFetch.PG_CONTROL, false, codec);
        byte[] control = pageLike(8192);
        StoredObjects.Stored s = StoredObjects.put(writeTo, controlKey, () -> new ByteArrayInputStream(control), codec);
        all.add(new BackupManifest.FileEntry(BackupFetch.PG_CONTROL, 8192, 0600, 0, false, controlKey, s.sha256(),
                s.hashed(), s.plainSize(), s.storedSize(), null, null));
        BackupManifest manifest = new BackupManifest(BackupManifest.formatFor(all), name, "0/2000028", "0/2000100", 1,
                "000000010000000000000002", "000000010000000000000002", "7301234567890123456", 150004,
                "2026-12-04T00:00:00Z", "2026-12-04T00:01:00Z", base, "deflate-test", 8192, true, 0, 0, false,
                "START WAL LOCATION: 0/2000028\n", null, null,
                List.of(new BackupManifest.Directory("base", 0700), new BackupManifest.Directory("base/1", 0700),
                        new BackupManifest.Directory("global", 0700)), all, "walstash test");
        assertThat(manifest.formatVersion()).isEqualTo(BackupManifest.FORMAT_BUNDLED);
        assertThat(BackupManifest.parse(manifest.toStoredJson())).isEqualTo(manifest);
        return manifest;
    }

    private void fetch(Storage from, BackupManifest backup, int concurrency) throws IOException {
        new BackupFetch(from, codecs, new PrintWriter(new StringWriter()))
                .fetch(backup, new BackupFetch.Options(destination, false, Map.of(), concurrency));
    }

    /** {@code member} as a forged manifest would name it: {@code bytes} further into its bundle. */
    private static BackupManifest.FileEntry movedBy(BackupManifest.FileEntry member, long bytes) {
        return new BackupManifest.FileEntry(member.path(), member.size(), member.mode(), member.modified(), false,
                member.objectKey(), member.sha256(), member.hashed(), member.plainSize(), member.storedSize(), null, null,
                member.storedOffset() + bytes);
    }

    /** Flips a byte in the middle of {@code victim}'s stored bytes, in storage; returns it. */
    private BackupManifest.FileEntry damageAtRest(BackupManifest.FileEntry victim) throws IOException {
        byte[] object = storage.bytes(victim.objectKey());
        object[(int) (victim.storedOffset() + victim.storedSize() / 2)] ^= 0x40;
        storage.corrupt(victim.objectKey(), object);
        return victim;
    }

    private BackupReport.Result verify(Storage from, BackupManifest backup) throws IOException {
        BackupReport report = new BackupVerifier(from, codecs, 2, new PrintWriter(new StringWriter())).verify(List.of(backup), null);
        return report.backups().get(0);
    }

    private void assertRestored(Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertThat(Files.readAllBytes(destination.resolve(file.getKey()))).as(file.getKey()).isEqualTo(file.getValue());
        }
    }

    private byte[] pageLike(int length) {
        return PageLike.bytes(random, length);
    }

    /** Counts whole reads per key and range reads of bundles. */
    private static final class CountingReads extends ForwardingStorage {
        final Map<String, AtomicInteger> reads = new ConcurrentHashMap<>();
        final AtomicInteger ranges = new AtomicInteger();

        CountingReads(Storage delegate) {
            super(delegate);
        }

        @Override
        public InputStream read(String key) throws IOException {
            if (!key.endsWith("manifest.json")) {
                reads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            }
            return super.read(key);
        }

        @Override
        public InputStream readRange(String key, long offset, long length) throws IOException {
            ranges.incrementAndGet();
            return super.readRange(key, offset, length);
        }
    }

    /** The first whole read of {@code key} has the byte at {@code at} flipped: a transfer fault; range reads are clean. */
    private static final class FlipFirstRead extends ForwardingStorage {
        private final String key;
        private final long at;
        final AtomicInteger ranges = new AtomicInteger();
        volatile boolean flipped;

        FlipFirstRead(Storage delegate, String key, long at) {
            super(delegate);
            this.key = key;
            this.at = at;
        }

        @Override
        public InputStream read(String readKey) throws IOException {
            InputStream in = super.read(readKey);
            if (!readKey.equals(key) || flipped) {
                return in;
            }
            byte[] bytes = in.readAllBytes();
            in.close();
            bytes[(int) at] ^= 0x20;
            flipped = true;
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public InputStream readRange(String rangeKey, long offset, long length) throws IOException {
            if (rangeKey.equals(key)) {
                ranges.incrementAndGet();
            }
            return super.readRange(rangeKey, offset, length);
        }
    }
}
