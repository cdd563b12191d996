package io.walstash.core.backup;

import io.walstash.core.io.BlockInputStream;
import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.Decoding;
import io.walstash.core.archive.ObjectHeader;
import io.walstash.core.archive.VerifyingInputStream;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.CompressingInputStream;
import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.io.BlockFilterInputStream;
import io.walstash.core.io.CountingInputStream;
import io.walstash.core.io.Digests;
import io.walstash.core.io.ReadAheadInputStream;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.BadContent;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Backup objects: codec streams of plain bytes, nothing else; one stream, a large file's parts or
 * a bundle's members (small files), one after another. Unlike WAL objects they carry no header,
 * because a file that changes while it is read (as data files do during a backup) can't be hashed
 * before it is uploaded; the manifest, written after every object, records each stream's plain and
 * stored lengths and the SHA-256 of its stored bytes (of its plain bytes, in manifests before
 * format 4), and a fetch checks them before the end of the stream reaches its reader.
 */
public final class StoredObjects {
    private StoredObjects() {
    }

    /**
     * What was stored: plain length, SHA-256 (over the bytes {@code hashed} names), stored length, and
     * the parts (null for one stream).
     */
    record Stored(long plainSize, String sha256, BackupManifest.HashedBytes hashed, long storedSize,
                  List<BackupManifest.Part> parts) {
    }

    /** Uploads {@code plain} compressed under {@code key} as one codec stream; fails if the key is taken. */
    static Stored put(Storage storage, String key, Storage.Content plain, Codec codec) throws IOException {
        return put(storage, key, plain, codec, Long.MAX_VALUE);
    }

    /**
     * Uploads {@code plain} compressed under {@code key}; fails if the key is taken. When it is
     * longer than {@code partSize}, every {@code partSize} plain bytes are compressed as a codec
     * stream of their own and the object is their concatenation, so that a restore can fetch and
     * decompress the parts in parallel (range reads); the parts are recorded in the result.
     * {@code plain} is opened afresh for each attempt of the upload (a data file read again), so
     * an upload that failed midway is tried again whole, and what is recorded (lengths, SHA-256,
     * parts) is what the attempt that stored the object read.
     */
    static Stored put(Storage storage, String key, Storage.Content plain, Codec codec, long partSize) throws IOException {
        if (partSize < 1) {
            throw new IllegalArgumentException("part size must be positive, got " + partSize);
        }
        // the attempt that stored the object, or the re-read that found its bytes already stored
        List<StoredStream> written = store(storage, key, codec, () -> new PartsOf(plain.open(), partSize),
                "(or an upload whose answer was lost stored the file as it was then)");
        List<BackupManifest.Part> parts = written.stream().map(StoredStream::part).toList();
        if (parts.size() == 1) {
            BackupManifest.Part only = parts.get(0);
            return new Stored(only.plainSize(), only.sha256(), only.hashed(), only.storedSize(), null);
        }
        // each stored byte is hashed once, in its part; the file's checksum is over the parts' checksums
        return new Stored(parts.stream().mapToLong(BackupManifest.Part::plainSize).sum(),
                BackupManifest.Part.sha256Of(parts), BackupManifest.HashedBytes.STORED,
                parts.stream().mapToLong(BackupManifest.Part::storedSize).sum(), parts);
    }

    /** One file of a bundle: its plain bytes, opened afresh for each attempt of the upload. */
    interface BundleMember {
        /** The plain bytes, or null when the file is gone (dropped during the backup): it is left out. */
        InputStream openOrNull() throws IOException;
    }

    /** Where member {@code index} of a bundle was stored: at {@code storedOffset}, one codec stream. */
    record StoredMember(int index, long storedOffset, Stored stored) {
    }

    /**
     * Uploads {@code members} under {@code key} as one object, each compressed as a codec stream of
     * its own, one after another, so that a restore reads one object for many small files (and, in
     * an encrypted repository, sets one cipher up for them) and can still read any one of them
     * alone (a range). Fails if the key is taken. As {@link #put}, the members are read again for
     * each attempt of the upload, and what is returned is what the attempt that stored the object
     * read; a member gone when its turn came is not in the result.
     */
    static List<StoredMember> putBundle(Storage storage, String key, List<BundleMember> members, Codec codec)
            throws IOException {
        List<StoredStream> written = store(storage, key, codec, () -> new MembersOf(members),
                "(or an upload whose answer was lost stored the files as they were then)");
        return written.stream().map(stream -> new StoredMember(stream.index(), stream.storedOffset(),
                new Stored(stream.plainSize(), stream.sha256(), BackupManifest.HashedBytes.STORED, stream.storedSize(),
                        null))).toList();
    }

    /**
     * Uploads under {@code key} the codec streams of what {@code plain} gives, one after another; fails
     * if the key is taken. {@code plain} is asked afresh for each attempt of the upload; what is
     * returned is what the attempt that stored the object read.
     */
    private static List<StoredStream> store(Storage storage, String key, Codec codec,
                                            PlainStreams.Opener plain, String lostAnswer)
            throws IOException {
        AtomicReference<CodecStreams> lastOpened = new AtomicReference<>();
        Storage.LargeContent encoded = () -> {
            CodecStreams streams = new CodecStreams(plain.open(), codec);
            lastOpened.set(streams);
            return streams;
        };
        if (!storage.createIfAbsent(key, encoded)) {
            // someone else's, or our own attempt's whose answer was lost while the files changed since
            throw new IOException("object " + key + " already exists in " + storage.location()
                    + "; a backup of that name is being written by someone else " + lostAnswer + "; take the backup again");
        }
        return lastOpened.get().stored();
    }

    /**
     * Member {@code entry} of a bundle read in one pass: {@code bundle} is positioned at the member's
     * offset; its next {@link BackupManifest.FileEntry#storedSize} bytes are decoded and checked as
     * {@link #open} checks them. Closing the result leaves {@code bundle} open.
     */
    static InputStream openMember(InputStream bundle, Codec codec, BackupManifest.FileEntry entry) throws IOException {
        return checked(new BoundedInputStream(bundle, entry.storedSize()), entry.objectKey(), at(entry), codec,
                entry.plainSize(), entry.storedSize(), entry.sha256(), entry.hashed());
    }

    /** Reads one member of a bundle from its checked plain bytes (see {@link #openMember}). */
    @FunctionalInterface
    public interface MemberReader<T> {
        void read(T member, InputStream plain) throws IOException;
    }

    /**
     * What one pass over a bundle left: {@code alone}, the members to read on their own (range
     * reads), in offset order; {@code firstReadDamaged}, whether the first of them read damaged in
     * the pass (which was then its first attempt).
     */
    public record BundlePass<T>(List<T> alone, boolean firstReadDamaged) {
    }

    /**
     * Reads bundle {@code key}'s {@code members} in one pass, in offset order, reading past the bytes
     * between them, and hands each one's checked plain bytes to {@code reader}. From the first member
     * whose bytes read damaged ({@link BadContent}: where the next member
     * starts is then not known), the first that a manifest places before the end of the one before it,
     * or the first past the bundle's end, the rest are left to be read alone. Other failures are thrown.
     */
    public static <T> BundlePass<T> readBundle(Storage storage, Codecs codecs, String key, List<T> members,
                                               Function<T, BackupManifest.FileEntry> entryOf, MemberReader<T> reader)
            throws IOException {
        List<T> ordered = new ArrayList<>(members);
        ordered.sort(Comparator.comparingLong(member -> entryOf.apply(member).storedOffset()));
        Codec codec = codecOf(codecs, key);
        int next = 0;
        byte[] between = null; // what lies between members: one buffer for the pass, only when there are gaps
        try (InputStream bundle = storage.read(key)) {
            long position = 0;
            for (; next < ordered.size(); next++) {
                BackupManifest.FileEntry entry = entryOf.apply(ordered.get(next));
                long offset = entry.storedOffset();
                if (offset < position) {
                    break;
                }
                if (offset > position) {
                    between = between != null ? between : new byte[64 * 1024];
                    if (!readPast(bundle, offset - position, between)) {
                        break;
                    }
                }
                try (InputStream plain = openMember(bundle, codec, entry)) {
                    reader.read(ordered.get(next), plain);
                }
                position = offset + entry.storedSize();
            }
        } catch (IOException e) {
            if (!(e instanceof BadContent) || next == ordered.size()) {
                throw e;
            }
            return new BundlePass<>(List.copyOf(ordered.subList(next, ordered.size())), true);
        }
        return new BundlePass<>(List.copyOf(ordered.subList(next, ordered.size())), false);
    }

    /** Reads {@code count} bytes of {@code in} into {@code buffer} and drops them; false when it ends first. */
    private static boolean readPast(InputStream in, long count, byte[] buffer) throws IOException {
        while (count > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, count));
            if (n < 0) {
                return false;
            }
            count -= n;
        }
        return true;
    }

    /** How a failure names a member of a bundle, after its key. */
    private static String at(BackupManifest.FileEntry entry) {
        return " (" + entry.path() + ", at " + entry.storedOffset() + ")";
    }

    /**
     * Opens {@code entry}'s object, checked against the manifest's lengths and SHA-256 as it is read
     * to the end; an object in parts is read part by part, each checked against its own lengths and
     * SHA-256 (the entry's SHA-256 is over those, checked when the manifest is read).
     */
    public static InputStream open(Storage storage, Codecs codecs, BackupManifest.FileEntry entry) throws IOException {
        Codec codec = codecOf(codecs, entry.objectKey());
        if (entry.parts() == null) {
            // one codec stream: the whole object, or its range in a bundle
            InputStream raw = entry.bundled()
                    ? storage.readRange(entry.objectKey(), entry.storedOffset(), entry.storedSize())
                    : storage.read(entry.objectKey());
            return checked(raw, entry.objectKey(), entry.bundled() ? at(entry) : "", codec, entry.plainSize(),
                    entry.storedSize(), entry.sha256(), entry.hashed());
        }
        Iterator<BackupManifest.Part> parts = entry.parts().iterator();
        long[] offset = {0};
        int[] index = {0};
        Enumeration<InputStream> opened = new Enumeration<>() {
            @Override
            public boolean hasMoreElements() {
                return parts.hasNext();
            }

            @Override
            public InputStream nextElement() {
                BackupManifest.Part part = parts.next();
                try {
                    InputStream in = openPart(storage, codec, entry.objectKey(), index[0]++, offset[0], part);
                    offset[0] += part.storedSize();
                    return in;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        try {
            return new UncheckedToChecked(new SequenceInputStream(opened));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Opens part {@code index} of object {@code key}, which starts {@code storedOffset} bytes into
     * the object: its plain bytes, checked against the part's lengths and SHA-256 as they are read.
     */
    public static InputStream openPart(Storage storage, Codec codec, String key, int index, long storedOffset,
                                       BackupManifest.Part part) throws IOException {
        InputStream raw = storage.readRange(key, storedOffset, part.storedSize());
        return checked(raw, key, " (part " + index + ")", codec, part.plainSize(), part.storedSize(), part.sha256(),
                part.hashed());
    }

    /**
     * The plain bytes of the stored bytes {@code raw}, checked against what the manifest records:
     * the SHA-256 of the stored bytes (format 4 on) or of the plain bytes (objects written before).
     * Either way a mismatch fails the read that would have returned the end of the stream.
     */
    private static InputStream checked(InputStream raw, String key, String which, Codec codec, long plainSize,
                                       long storedSize, String sha256, BackupManifest.HashedBytes hashed)
            throws IOException {
        Decoding.Source source = Decoding.source(raw);
        try {
            if (hashed == BackupManifest.HashedBytes.PLAIN) {
                ObjectHeader expected = new ObjectHeader(plainSize, HexFormat.of().parseHex(sha256));
                return new VerifyingInputStream(decoded(source, source, key + which, codec, storedSize), expected,
                        (recorded, read) -> new CorruptObjectException("object " + key + which
                                + " fails its checksum: the manifest records " + recorded.plainLength()
                                + " bytes with sha256 " + recorded.sha256Hex() + ", read " + read.plainLength()
                                + " bytes that differ"));
            }
            java.util.function.Supplier<CorruptObjectException> mismatch =
                    () -> mismatch(key, which, plainSize, storedSize, sha256);
            StoredBytes stored = new StoredBytes(source, storedSize, mismatch);
            return new StoredChecked(decoded(stored, source, key + which, codec, storedSize), stored, plainSize, sha256,
                    mismatch);
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
    }

    private static CorruptObjectException mismatch(String key, String which, long plainSize, long storedSize,
                                                   String sha256) {
        return new CorruptObjectException("object " + key + which + " fails its checksum: the manifest records "
                + storedSize + " stored bytes (" + plainSize + " plain) with sha256 " + sha256
                + ", and what was read differs");
    }

    /**
     * {@code stored} decoded; {@code source} beneath it is where reading the stored bytes can fail;
     * {@code object} names it in a failure to decode ("key", "key (part 2)").
     */
    private static InputStream decoded(InputStream stored, Decoding.Source source, String object, Codec codec,
                                       long storedSize) throws IOException {
        // most files of a data directory are a few KiB: a fresh 256 KiB buffer each costs more than the read
        int buffer = (int) Math.max(8192, Math.min(256 * 1024, storedSize + 1));
        return Decoding.decode(new java.io.BufferedInputStream(stored, buffer), source, codec, "object " + object);
    }

    /**
     * The stored bytes, hashed and counted as the decoder reads them (beneath its buffer, so every
     * byte read from storage is hashed once), as a push hashes and counts what it stores; more than
     * the manifest's stored length fails at once.
     */
    private static final class StoredBytes extends DigestingInputStream {
        private final long storedSize;
        private final java.util.function.Supplier<CorruptObjectException> mismatch;

        StoredBytes(InputStream in, long storedSize, java.util.function.Supplier<CorruptObjectException> mismatch) {
            super(in);
            this.storedSize = storedSize;
            this.mismatch = mismatch;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (count() > storedSize) {
                throw mismatch.get();
            }
            return n;
        }

        /** Reads what the decoder left (nothing, in an object that is what it should be) to the end. */
        void drain() throws IOException {
            // usually one read that finds the end: a small buffer, not the 8 KiB a copy loop would take
            byte[] rest = new byte[256];
            while (read(rest, 0, rest.length) >= 0) {
                // hashed and bounded by read
            }
        }

        boolean matches(String sha256) {
            return count() == storedSize && hex().equals(sha256);
        }
    }

    /**
     * The decoded bytes; at their end, the stored bytes are read to their end too and the whole is
     * checked (stored length and SHA-256, plain length) before the end is returned.
     */
    private static final class StoredChecked extends BlockFilterInputStream {
        private final StoredBytes stored;
        private final long plainSize;
        private final String sha256;
        private final java.util.function.Supplier<CorruptObjectException> mismatch;
        private long plain;
        private boolean verified;

        StoredChecked(InputStream decoded, StoredBytes stored, long plainSize, String sha256,
                      java.util.function.Supplier<CorruptObjectException> mismatch) {
            super(decoded);
            this.stored = stored;
            this.plainSize = plainSize;
            this.sha256 = sha256;
            this.mismatch = mismatch;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                plain += n;
                if (plain > plainSize) {
                    throw mismatch.get();
                }
            } else if (n < 0 && !verified) {
                stored.drain();
                if (plain != plainSize || !stored.matches(sha256)) {
                    throw mismatch.get();
                }
                verified = true;
            }
            return n;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public String toString() {
            return "StoredChecked(" + in + ")";
        }
    }

    /** The codec whose file extension ends {@code key}. */
    static Codec codecOf(Codecs codecs, String key) throws IOException {
        String extension = RepositoryLayout.extensionOf(key);
        return codecs.byExtension(extension).orElseThrow(() ->
                new IOException("object " + key + " has extension ." + extension + ", which no installed codec writes"
                        + " (installed: " + codecs.names() + ")"));
    }

    /** The plain bytes of the codec streams an object is made of, asked for one after another. */
    private interface PlainStreams extends java.io.Closeable {
        /** The next stream's plain bytes, or null when there are no more. */
        Plain next() throws IOException;

        /** Opens the plain streams afresh: for each attempt of an upload. */
        interface Opener {
            PlainStreams open() throws IOException;
        }
    }

    /** Stream {@code index} (a file's part, a bundle's member) and its plain bytes. */
    private record Plain(int index, InputStream bytes) {
    }

    /** Where codec stream {@code index} of an object was stored, and what it holds. */
    private record StoredStream(int index, long storedOffset, long plainSize, long storedSize, String sha256) {
        BackupManifest.Part part() {
            return new BackupManifest.Part(plainSize, storedSize, sha256, BackupManifest.HashedBytes.STORED);
        }
    }

    /**
     * An object as stored: the codec streams of {@link PlainStreams}, one after another, each
     * counted and hashed (its stored bytes) as it is read; a stream's plain bytes are closed when
     * its codec stream ends.
     */
    private static final class CodecStreams extends BlockInputStream {
        private final PlainStreams plain;
        private final Codec codec;
        private final List<StoredStream> stored = new ArrayList<>();
        private long offset;
        private int index;
        private long start;
        private CountingInputStream streamPlain;
        private DigestingInputStream streamStored;
        private boolean done;

        CodecStreams(PlainStreams plain, Codec codec) {
            this.plain = plain;
            this.codec = codec;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!done) {
                if (streamStored == null) {
                    Plain next = plain.next();
                    if (next == null) {
                        done = true;
                        break;
                    }
                    index = next.index();
                    start = offset;
                    streamPlain = new CountingInputStream(next.bytes());
                    // the stored bytes are hashed, not the plain ones: several times fewer, on push and on restore
                    streamStored = new DigestingInputStream(new CompressingInputStream(streamPlain, codec));
                }
                int n = streamStored.read(b, off, len);
                if (n > 0) {
                    offset += n;
                    return n;
                }
                if (n < 0) {
                    stored.add(new StoredStream(index, start, streamPlain.count(), streamStored.count(), streamStored.hex()));
                    streamStored.close();
                    streamStored = null;
                }
            }
            return -1;
        }

        List<StoredStream> stored() {
            return List.copyOf(stored);
        }

        @Override
        public void close() throws IOException {
            try {
                if (streamStored != null) {
                    streamStored.close();
                }
            } finally {
                plain.close();
            }
        }

        @Override
        public String toString() {
            return "CodecStreams(" + codec.name() + ", " + plain + ")";
        }
    }

    /**
     * A file's parts: each the next {@code partSize} plain bytes of {@code source}; a part is started
     * only when plain bytes are left for it (the first always).
     */
    private static final class PartsOf implements PlainStreams {
        /** Read-ahead threads; daemon threads, reused across files. */
        private static final ExecutorService READ_AHEAD = ThreadPools.reused("walstash-read-ahead");
        private static final int READ_AHEAD_CHUNK = 256 * 1024;
        /** Chunks read ahead: 1 MiB of memory per large file being stored. */
        private static final int READ_AHEAD_DEPTH = 4;

        private final PushbackInputStream source;
        private final long partSize;
        private int parts;

        PartsOf(InputStream source, long partSize) {
            this.source = new PushbackInputStream(source, 1);
            this.partSize = partSize;
        }

        @Override
        public Plain next() throws IOException {
            if (parts > 0) {
                int next = source.read();
                if (next < 0) {
                    return null;
                }
                source.unread(next);
            }
            InputStream part = new BoundedInputStream(source, partSize);
            // A file with a second part is large (a relation's 1 GiB segment): its parts would run one
            // after another on one thread, the last one left in a backup, so from the second part on
            // reading and checking pages run ahead on another thread while this one compresses.
            if (parts > 0) {
                part = new ReadAheadInputStream(part, READ_AHEAD, READ_AHEAD_CHUNK, READ_AHEAD_DEPTH);
            }
            return new Plain(parts++, part);
        }

        @Override
        public void close() throws IOException {
            source.close();
        }

        @Override
        public String toString() {
            return "parts of " + partSize;
        }
    }

    /** A bundle's members, each opened when its turn comes; a member gone by then is left out. */
    private static final class MembersOf implements PlainStreams {
        private final List<BundleMember> members;
        private int next;

        MembersOf(List<BundleMember> members) {
            this.members = members;
        }

        @Override
        public Plain next() throws IOException {
            while (next < members.size()) {
                int index = next++;
                InputStream plain = members.get(index).openOrNull();
                if (plain != null) {
                    return new Plain(index, plain);
                }
            }
            return null;
        }

        @Override
        public void close() {
            // each member's plain bytes are closed with its codec stream
        }

        @Override
        public String toString() {
            return members.size() + " members";
        }
    }

    /** At most {@code limit} bytes of {@code in}; closing it leaves {@code in} open. */
    private static final class BoundedInputStream extends BlockFilterInputStream {
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
            // the next part (of a file, or a bundle's next member) reads on from the same source
        }
    }

    /** Rethrows the {@link UncheckedIOException} a lazily opened part raised as the IOException it wraps. */
    private static final class UncheckedToChecked extends BlockFilterInputStream {
        UncheckedToChecked(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }

    /** Hashes (SHA-256) and counts the bytes read through it. */
    static class DigestingInputStream extends BlockFilterInputStream {
        private final MessageDigest digest = Digests.sha256();
        private long count;

        DigestingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
                count += n;
            }
            return n;
        }

        long count() {
            return count;
        }

        String hex() {
            return HexFormat.of().formatHex(digest.digest());
        }
    }
}
