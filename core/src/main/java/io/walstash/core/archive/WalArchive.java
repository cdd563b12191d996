package io.walstash.core.archive;

import io.walstash.core.archive.walg.WalGEncryption;
import io.walstash.core.config.WalGSettings;
import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.CompressingInputStream;
import io.walstash.core.config.Configuration;
import io.walstash.core.io.CountingInputStream;
import io.walstash.core.io.Digests;
import io.walstash.core.io.Durable;
import io.walstash.core.io.OwnerOnly;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.repository.WalFolder;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.repository.WalKey;
import io.walstash.core.repository.StreamedPartial;
import io.walstash.core.spool.PushResult;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageLocation;
import io.walstash.core.storage.Storages;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import io.walstash.core.wal.WalSegmentHeader;
import io.walstash.core.wal.WalSegmentSize;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.zip.CheckedInputStream;
import java.util.zip.Checksum;

/**
 * Pushes WAL files to a repository and fetches them back: what {@code archive_command} and
 * {@code restore_command} call. A push returns only once the object is durable; a fetch places
 * the file only after its checksum matched.
 */
public final class WalArchive implements Closeable {
    private static final int IO_BUFFER = 1 << 20;
    /** A timeline history file: a line per earlier timeline, far below this even after thousands of failovers. */
    static final long MAX_HISTORY_FILE = 16L << 20;
    /** A backup history file: a dozen short lines. */
    static final long MAX_BACKUP_HISTORY_FILE = 64L << 10;

    private final Storage storage;
    private final Codec codec;
    private final Codecs codecs;
    private final String writer;
    private final Clock clock;
    private volatile RepositoryMarker confirmedMarker;
    /** Segment buffers kept between pushes (a daemon pushes many); a few, so memory stays bounded. */
    private final HeldWalFile.Buffers buffers;
    /** Decrypts WAL-G's objects ({@code wal_005/}) when WAL-G's libsodium key is configured, else null. */
    private final WalGEncryption walgEncryption;

    /**
     * @param codec  the codec new objects are written with
     * @param codecs every codec known, to read objects whichever codec wrote them
     * @param writer names this program in the repository marker, such as "walstash 0.1.0"
     */
    public WalArchive(Storage storage, Codec codec, Codecs codecs, String writer, Clock clock) {
        this(storage, codec, codecs, writer, clock, HeldWalFile.MAX_LENGTH);
    }

    /** {@code heldLimit}: files up to this length are read once into memory, larger ones streamed twice. */
    WalArchive(Storage storage, Codec codec, Codecs codecs, String writer, Clock clock, long heldLimit) {
        this(storage, codec, codecs, writer, clock, new HeldWalFile.Buffers(2, heldLimit), null);
    }

    /** {@code buffers}: shared by the views of one archive (other storage, faster codec), so their pushes reuse them alike. */
    private WalArchive(Storage storage, Codec codec, Codecs codecs, String writer, Clock clock,
                       HeldWalFile.Buffers buffers, WalGEncryption walgEncryption) {
        this.walgEncryption = walgEncryption;
        this.buffers = buffers;
        this.storage = storage;
        this.codec = codec;
        this.codecs = codecs;
        this.writer = writer;
        this.clock = clock;
    }

    /**
     * Opens the repository {@code configuration} names, writing WAL with {@link #walCodec}. The
     * archive owns the storage: closing it closes the storage.
     */
    public static WalArchive open(Configuration configuration, String writer) throws IOException {
        Codecs codecs = Codecs.installed();
        Codec codec = walCodec(codecs, configuration);
        WalGEncryption walg = WalGEncryption.configured(configuration.settings()).orElse(null); // key read on first use
        Storage storage = Storages.open(StorageLocation.configured(configuration), configuration.settings());
        return new WalArchive(storage, codec, codecs, writer, Clock.systemUTC(),
                new HeldWalFile.Buffers(2, HeldWalFile.MAX_LENGTH), walg);
    }

    /**
     * As {@link #open}, but the storage is opened only when first used: for a restore_command that
     * may be served from the prefetch directory without it. {@link #storage()} then is not the
     * adapter's own object (add-on interfaces are hidden), and its location is the configured one.
     */
    public static WalArchive openOnFirstUse(Configuration configuration, String writer) throws IOException {
        Codecs codecs = Codecs.installed();
        Codec codec = walCodec(codecs, configuration);
        WalGEncryption walg = WalGEncryption.configured(configuration.settings()).orElse(null);
        // the retry layer sits over the lazy opener, so that services can take views of it (no doubling)
        StorageLocation location = StorageLocation.configured(configuration);
        Storage storage = RetryingStorage.wrap(new StorageOnFirstUse(location,
                () -> Storages.openLayered(location, configuration.settings())),
                RetryPolicy.from(configuration.settings()));
        return new WalArchive(storage, codec, codecs, writer, Clock.systemUTC(),
                new HeldWalFile.Buffers(2, HeldWalFile.MAX_LENGTH), walg);
    }

    /**
     * The codec WAL is written with: the configured codec's {@linkplain Codec#faster() faster}
     * setting (zstd level 1). On WAL it compresses as well as level 3 (pgbench segments here: 309.9
     * against 311.5 KB of 16 MiB; 469 against 479 KB on another day) in about half the time, and
     * every WAL push waits for it. Base backups keep the configured level.
     */
    private static Codec walCodec(Codecs codecs, Configuration configuration) {
        return codecs.byName(configuration.compression()).faster();
    }

    public Storage storage() {
        return storage;
    }

    @Override
    public void close() throws IOException {
        storage.close();
    }

    /** Archives the WAL file at {@code file}, whose file name must be a WAL file name. */
    public PushResult push(Path file) throws IOException {
        return push(file, opened -> { }, inspected -> { });
    }

    /**
     * As {@link #push(Path)}; {@code opened} receives the stream being uploaded, so that a caller
     * giving up on a hanging upload can close it, and {@code inspected} the length and digest of
     * the local file as it was read.
     */
    PushResult push(Path file, Consumer<Closeable> opened, Consumer<ObjectHeader> inspected) throws IOException {
        String name = String.valueOf(file.getFileName());
        WalFileName walName = WalFileName.parse(name);
        LocalWalFile.refuseDirectory(file);
        // One read: a segment is hashed, checked and compressed from memory. Larger files (segment
        // sizes above the buffer limit) are read twice, streaming: once to hash, once to upload.
        Optional<HeldWalFile> held = HeldWalFile.read(file, buffers);
        if (held.isEmpty()) {
            return pushStreaming(file, name, walName, opened, inspected);
        }
        HeldWalFile h = held.get();
        PushResult result = pushHeld(name, h.bytes(), h.length(), () -> h.inspect(file, walName), opened, inspected);
        // Only after success: a storage that gave up on an upload might still be reading the buffer.
        buffers.release(h.bytes());
        return result;
    }

    /**
     * Archives the WAL file named as {@code origin} (named so in messages too) whose bytes {@code content}
     * opens afresh for each read: a spooled file kept sealed on disk, unsealed as it is read. A file
     * that fits the push buffer is read whole first, so a damaged one fails before anything is
     * uploaded; a larger one is hashed (and so read to its end) in a first pass and uploaded,
     * checked against that hash, in a second.
     */
    public PushResult push(Path origin, Storage.Content content) throws IOException {
        String name = String.valueOf(origin.getFileName());
        WalFileName walName = WalFileName.parse(name);
        byte[] bytes;
        try (InputStream in = content.open()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, buffers.maxLength() + 1));
        }
        if (bytes.length <= buffers.maxLength()) {
            return pushHeld(name, bytes, bytes.length, () -> LocalWalFile.inspect(origin, walName, bytes, bytes.length),
                    opened -> { }, inspected -> { });
        }
        LocalWalFile local;
        try (InputStream in = content.open()) {
            local = LocalWalFile.inspect(origin, walName, in);
        }
        return push(name, local, compressing(() -> new VerifyingInputStream(content.open(), local.header(),
                (expected, actual) -> new IOException(origin + " changed while it was being archived"))), opened -> { },
                inspected -> { });
    }

    /** Hashes {@code file} in a first pass, then uploads it checked against that hash in a second. */
    private PushResult pushStreaming(Path file, String name, WalFileName walName, Consumer<Closeable> opened,
                                     Consumer<ObjectHeader> inspected) throws IOException {
        LocalWalFile local = LocalWalFile.inspect(file, walName);
        return push(name, local, compressing(() -> new VerifyingInputStream(streamed(file), local.header(),
                (expected, actual) -> new IOException(file + " changed while it was being archived"))), opened, inspected);
    }

    /**
     * Pushes the first {@code length} bytes of {@code bytes}, which {@code inspection} hashes and
     * checks, compressing them as they upload. (Compressing them on another thread while the digest
     * runs was measured faster, but left the upload too short for DaemonIT to kill a daemon in it;
     * see README, session 29.)
     */
    private PushResult pushHeld(String name, byte[] bytes, int length, Inspection inspection,
                                Consumer<Closeable> opened, Consumer<ObjectHeader> inspected) throws IOException {
        return push(name, inspection.inspect(), compressing(() -> new ByteArrayInputStream(bytes, 0, length)),
                opened, inspected);
    }

    /** How {@link #pushHeld} learns the held bytes' header and segment checks. */
    private interface Inspection {
        LocalWalFile inspect() throws IOException;
    }

    /** The compressed bytes of what {@code plainSource} opens, compressed as they are read. */
    private BodySource compressing(PlainSource plainSource) {
        return () -> new CompressingInputStream(plainSource.open(), codec);
    }

    /** {@code body} opens the compressed bytes of plain bytes whose length and digest are {@code local}'s header (or fail at their end). */
    private PushResult push(String name, LocalWalFile local, BodySource body,
                            Consumer<Closeable> opened, Consumer<ObjectHeader> inspected) throws IOException {
        inspected.accept(local.header());
        if (local.segmentHeader().isPresent()) {
            confirmRepositoryServes(local.segmentHeader().get(), name);
        }
        Optional<StoredWal> existing = findStored(name, WalFolder.WALSTASH);
        if (existing.isPresent()) {
            return compare(existing.get(), local.header());
        }
        String key = RepositoryLayout.walKey(name, codec);
        // opened afresh for each attempt of the retry layer; the last one opened is the one stored
        AtomicReference<CountingInputStream> stored = new AtomicReference<>();
        boolean created = storage.createIfAbsent(key, () -> {
            InputStream compressed = body.open();
            opened.accept(compressed);
            CountingInputStream counted = new CountingInputStream(new SequenceInputStream(
                    new ByteArrayInputStream(local.header().toBytes()), compressed));
            stored.set(counted);
            return counted;
        });
        if (created) {
            return new PushResult.Archived(key, local.header().plainLength(), stored.get().count());
        }
        // Another pusher won the race for this key: judge its content like any existing object.
        StoredWal raced = findStored(name, WalFolder.WALSTASH)
                .orElseThrow(() -> new IOException("storage reported " + key + " as existing, but it is not listed"));
        return compare(raced, local.header());
    }

    /** Opens the compressed bytes to upload, afresh for each attempt. */
    private interface BodySource {
        InputStream open() throws IOException;
    }

    /** Opens the plain bytes to upload. */
    private interface PlainSource {
        InputStream open() throws IOException;
    }

    /**
     * Fetches WAL file {@code name} to {@code destination}, replacing it if present. The bytes go to
     * a temporary file beside the destination, are checked against the stored checksum, synced,
     * and only then renamed into place; on any failure nothing is left at the destination.
     */
    public FetchResult fetch(String name, Path destination) throws IOException {
        WalFileName walName = WalFileName.parse(name);
        Optional<OpenedWal> found = open(name);
        if (found.isEmpty()) {
            if (walName instanceof SegmentFileName segment) {
                Optional<FetchResult.Fetched> streamed = fetchStreamed(segment, destination);
                if (streamed.isPresent()) {
                    return streamed.get();
                }
            }
            return new FetchResult.NotFound(name);
        }
        StoredWal stored = found.get().stored();
        return place(stored, found.get().content(), "object " + stored.key(), false, destination);
    }

    /** A stored WAL object and its content, opened for reading (the caller closes it). */
    public record OpenedWal(StoredWal stored, InputStream content) {
    }

    /**
     * Opens the stored object for WAL file {@code name}: the one {@link #locate} names, found with
     * one request where it can be. The key the configured codec writes in walstash's folder is read
     * straight away, as it is what a listing would prefer whenever it exists (and what a recovery
     * asks for nearly always); only when it does not exist does a listing look for another codec's
     * object or WAL-G's. A fetch and a prefetch download so make one request instead of a listing
     * and a read (a round trip less on S3, and no XML to parse); a miss (the end of the archive)
     * costs the read that finds nothing, then the listing as before.
     */
    public Optional<OpenedWal> open(String name) throws IOException {
        StoredWal configured = new StoredWal(RepositoryLayout.walKey(name, codec), codec);
        try {
            return Optional.of(new OpenedWal(configured, storage.read(configured.key())));
        } catch (NoSuchObjectException e) {
            // another codec's object, WAL-G's, or none: the listing says
        }
        Optional<StoredWal> found = locate(name);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new OpenedWal(found.get(), storage.read(found.get().key())));
    }

    /**
     * The newest streamed partial of {@code segment}, placed zero-padded to a whole segment, as
     * pg_receivewal's {@code .partial} files are: recovery replays its records and takes the zeros
     * after them as the end of the WAL, which is where the archive ends.
     */
    private Optional<FetchResult.Fetched> fetchStreamed(SegmentFileName segment, Path destination) throws IOException {
        Optional<StreamedPartial> newest = StreamedPartial.newest(storage, segment, codecs);
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        StreamedPartial partial = newest.get();
        RepositoryMarker marker = readMarker().orElseThrow(() -> new CorruptObjectException("streamed partial "
                + partial.key() + " lies in a repository without its marker " + RepositoryMarker.KEY));
        StoredWal stored = new StoredWal(partial.key(), partial.codec(codecs).orElseThrow());
        return Optional.of(place(stored, storage.read(partial.key()), "object " + partial.key(), true, destination,
                marker.walSegmentSize(), null));
    }

    /**
     * Archives WAL file {@code name} whose bytes are the first {@code length} of {@code bytes}: as
     * {@link #push(Path)} archives a file of that name and content (an identical stored object is
     * already archived, a different one a conflict).
     */
    public PushResult push(String name, byte[] bytes, int length) throws IOException {
        WalFileName walName = WalFileName.parse(name);
        return pushHeld(name, bytes, length, () -> LocalWalFile.inspect(Path.of(name), walName, bytes, length),
                opened -> { }, inspected -> { });
    }

    /**
     * Stores the first {@code length} bytes of {@code segment}, held in {@code bytes}, as a streamed
     * partial; returns its key once storage acknowledged it. Storing the same length again (a
     * restarted receiver streams the segment from its start) finds the object there and keeps it.
     */
    public String storePartial(SegmentFileName segment, byte[] bytes, int length) throws IOException {
        if (length < WalSegmentHeader.LENGTH) {
            throw new IllegalArgumentException("a streamed partial must hold at least the segment's page header ("
                    + WalSegmentHeader.LENGTH + " bytes), not " + length);
        }
        confirmRepositoryServes(WalSegmentHeader.read(java.util.Arrays.copyOf(bytes, WalSegmentHeader.LENGTH)),
                segment.fileName());
        MessageDigest digest = Digests.sha256();
        digest.update(bytes, 0, length);
        ObjectHeader header = new ObjectHeader(length, digest.digest());
        String key = StreamedPartial.key(segment, length, codec);
        storage.createIfAbsent(key, () -> new SequenceInputStream(new ByteArrayInputStream(header.toBytes()),
                new CompressingInputStream(new ByteArrayInputStream(bytes, 0, length), codec)));
        return key;
    }

    /** Deletes the streamed partials of {@code segment} shorter than {@code keptLength}; with 0, all of them. */
    public void deletePartials(SegmentFileName segment, long keptLength) throws IOException {
        List<String> older = StreamedPartial.of(storage, segment).stream()
                .filter(p -> keptLength <= 0 || p.length() < keptLength).map(StreamedPartial::key).toList();
        if (!older.isEmpty()) {
            storage.deleteAll(older);
        }
    }

    /**
     * Fails unless this storage holds a repository: walstash's root marker, or WAL that WAL-G wrote.
     * Archive recovery asks this before it answers "not in the archive", since an unmounted file
     * system or a wrong prefix lists as empty and would otherwise end the recovery early.
     */
    public void requireRepository() throws IOException {
        if (RepositoryLayout.holdsRepository(storage)) {
            return;
        }
        throw new StorageFailure(StorageFailure.Reason.NO_SUCH_BUCKET, storage.location() + " holds no "
                + RepositoryMarker.KEY + " and no WAL-G WAL, so it is no repository (a file system not mounted,"
                + " a wrong prefix?)");
    }

    /** The stored object for WAL file {@code name}, walstash's own before one WAL-G wrote. */
    public Optional<StoredWal> locate(String name) throws IOException {
        Optional<StoredWal> found = findStored(name, WalFolder.WALSTASH);
        return found.isPresent() ? found : findStored(name, WalFolder.WALG);
    }

    /**
     * Decodes the stored object bytes {@code raw} (header, if any, then the codec's payload) of
     * {@code stored} to {@code destination}: through a temporary file beside it, checked against the
     * header's checksum, synced, then renamed into place. Closes {@code raw}. On any failure nothing
     * is left at the destination.
     *
     * @param source        names where the bytes come from in error messages
     * @param requireHeader refuse bytes without a walstash header (they cannot be verified) before
     *                      anything is written
     */
    public FetchResult.Fetched place(StoredWal stored, InputStream raw, String source, boolean requireHeader,
                                     Path destination) throws IOException {
        return place(stored, raw, source, requireHeader, destination, 0, null);
    }

    /** As above, {@code plainBytes} updated with every byte placed (the caller's own record of them). */
    public FetchResult.Fetched place(StoredWal stored, InputStream raw, String source, boolean requireHeader,
                                     Path destination, Checksum plainBytes) throws IOException {
        return place(stored, raw, source, requireHeader, destination, 0, plainBytes);
    }

    /** As above; a file shorter than {@code padTo} bytes is extended to it with zeros. */
    private FetchResult.Fetched place(StoredWal stored, InputStream raw, String source, boolean requireHeader,
                                      Path destination, long padTo, Checksum plainBytes) throws IOException {
        Path target = destination.toAbsolutePath();
        Path directory = target.getParent();
        Decoding.Source tracked = Decoding.source(raw);
        try (InputStream buffered = new BufferedInputStream(decrypted(stored, tracked, source), 64 * 1024)) {
            if (directory == null || !Files.isDirectory(directory)) {
                throw new NoSuchFileException(String.valueOf(directory), null, "destination directory does not exist");
            }
            Optional<ObjectHeader> header = ObjectHeader.readFrom(buffered);
            if (header.isEmpty() && requireHeader) {
                throw new CorruptObjectException(source + " has no walstash header");
            }
            Path temp = AbandonedTemps.claim(directory, target.getFileName().toString());
            try {
                long length;
                InputStream plain = bounded(Decoding.decode(buffered, tracked, stored.codec(), source), stored, header,
                        source);
                if (header.isPresent()) {
                    plain = verifying(plain, header.get(), source);
                }
                if (plainBytes != null) {
                    plain = new CheckedInputStream(plain, plainBytes);
                }
                try (InputStream in = plain; FileChannel out = createTemp(temp, target)) {
                    length = copy(in, out);
                    if (length < padTo) {
                        out.write(ByteBuffer.wrap(new byte[1]), padTo - 1); // the bytes between read as zeros
                    }
                    out.force(true);
                }
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Durable.syncDirectory(directory);
                return new FetchResult.Fetched(stored.key(), length, header.isPresent());
            } catch (CorruptObjectException e) {
                throw withWalGKeyHint(stored, e);
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * {@code raw} decrypted when it is WAL-G's object and WAL-G's key is configured (WAL-G encrypts
     * after compressing, so the codec reads what this returns), else {@code raw} itself.
     */
    private InputStream decrypted(StoredWal stored, InputStream raw, String source) throws IOException {
        if (walgEncryption == null || !isWalG(stored)) {
            return raw;
        }
        try {
            return walgEncryption.decrypting(raw, source);
        } catch (IOException | RuntimeException e) {
            raw.close(); // the key could not be read: the caller never gets the stream to close
            throw e;
        }
    }

    /** {@code e} about a WAL-G object read without WAL-G's key: it may be encrypted, so the message says how to read it. */
    private CorruptObjectException withWalGKeyHint(StoredWal stored, CorruptObjectException e) {
        if (walgEncryption != null || !isWalG(stored)) {
            return e;
        }
        return new CorruptObjectException(e.getMessage() + " (if WAL-G encrypted it with libsodium, set "
                + WalGSettings.KEY.name() + " or " + WalGSettings.KEY_PATH.name() + ")", e);
    }

    private static boolean isWalG(StoredWal stored) {
        return WalKey.parse(stored.key()).map(WalKey::walg).orElse(false);
    }

    /**
     * The plain bytes of a stored WAL object. {@code verified} is false for an object without a
     * walstash header (written by WAL-G): its bytes are decoded but have no checksum to match.
     */
    public record StoredPlain(InputStream stream, boolean verified) implements Closeable {
        @Override
        public void close() throws IOException {
            stream.close();
        }
    }

    /**
     * Opens stored WAL object {@code key}, written with {@code codec}. Reading it to the end fails
     * with {@link CorruptObjectException} naming the key when the bytes do not decode or do not
     * match the header's length and SHA-256.
     */
    public static StoredPlain openStored(Storage storage, String key, Codec codec) throws IOException {
        Decoding.Source source = Decoding.source(storage.read(key));
        InputStream raw = new BufferedInputStream(source, 64 * 1024);
        try {
            Optional<ObjectHeader> header = ObjectHeader.readFrom(raw);
            InputStream plain = bounded(Decoding.decode(raw, source, codec, "object " + key),
                    new StoredWal(key, codec), header, "object " + key);
            if (header.isPresent()) {
                plain = verifying(plain, header.get(), "object " + key);
            }
            return new StoredPlain(plain, header.isPresent());
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * {@code plain}, cut off with a {@link CorruptObjectException} once it passes what WAL file
     * {@code stored} can legitimately hold: a repository is untrusted, and a small object must not
     * decode into a full disk (a decompression bomb). With a walstash header the header's length
     * must be legitimate (the verifying stream then holds the bytes to it); without one (WAL-G's
     * objects) a segment is held to the size its own first page header states, or to 1 GiB,
     * PostgreSQL's largest segment.
     */
    private static InputStream bounded(InputStream plain, StoredWal stored, Optional<ObjectHeader> header, String source)
            throws IOException {
        WalFileName name = WalFileName.parse(stored.walFileName());
        long limit = legitimateSize(name);
        if (header.isPresent()) {
            if (header.get().plainLength() > limit) {
                plain.close();
                throw new CorruptObjectException(source + " claims " + header.get().plainLength()
                        + " bytes, more than a " + name.getClass().getSimpleName() + " can hold (" + limit + ")");
            }
            return plain;
        }
        if (name.contentSegment().isPresent()) {
            InputStream peekable = new BufferedInputStream(plain, WalSegmentHeader.LENGTH);
            peekable.mark(WalSegmentHeader.LENGTH);
            byte[] first = peekable.readNBytes(WalSegmentHeader.LENGTH);
            peekable.reset();
            try {
                limit = WalSegmentHeader.read(first).segmentSize();
            } catch (IllegalArgumentException notAHeader) {
                // not a segment's first page: PostgreSQL will refuse it; the 1 GiB bound still holds
            }
            plain = peekable;
        }
        return Decoding.limited(plain, limit, source);
    }

    /** The most plain bytes a WAL file like {@code name} can hold. */
    static long legitimateSize(WalFileName name) {
        if (name instanceof HistoryFileName) {
            return MAX_HISTORY_FILE;
        }
        if (name instanceof BackupHistoryFileName) {
            return MAX_BACKUP_HISTORY_FILE;
        }
        return WalSegmentSize.MAX_BYTES;
    }

    /** {@code plain} checked, at its end, against the length and SHA-256 {@code header} records for {@code source}. */
    private static InputStream verifying(InputStream plain, ObjectHeader header, String source) {
        return new VerifyingInputStream(plain, header, (expected, actual) ->
                new CorruptObjectException(source + " fails its checksum: recorded "
                        + expected.plainLength() + " bytes sha256 " + expected.sha256Hex()
                        + ", read " + actual.plainLength() + " bytes sha256 " + actual.sha256Hex()));
    }

    /** This archive writing with its codec's {@linkplain Codec#faster() faster} setting, over the same storage. */
    public WalArchive writingFaster() {
        Codec faster = codec.faster();
        return faster == codec ? this
                : new WalArchive(storage, faster, codecs, writer, clock, buffers, walgEncryption);
    }

    /** This archive's codecs and writer over another view of its storage (a decorated one); closing it closes that view. */
    public WalArchive withStorage(Storage other) {
        return new WalArchive(other, codec, codecs, writer, clock, buffers, walgEncryption);
    }

    /** This archive reading WAL-G's objects with {@code encryption}, over the same storage (closing either closes it). */
    public WalArchive readingWalG(WalGEncryption encryption) {
        return new WalArchive(storage, codec, codecs, writer, clock, buffers, encryption);
    }

    /** Every codec this archive reads, to name stored objects by their extension. */
    public Codecs codecs() {
        return codecs;
    }

    private static FileChannel createTemp(Path temp, Path target) throws IOException {
        try {
            // 0600 whatever the umask, as PostgreSQL makes its own WAL files
            return OwnerOnly.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(target.toString(), null, "cannot write into " + target.getParent());
        }
    }

    /** The repository marker, creating it for this cluster on the first push into an empty repository. */
    private void confirmRepositoryServes(WalSegmentHeader segment, String name) throws IOException {
        RepositoryMarker marker = confirmedMarker;
        if (marker == null) {
            marker = readMarker().orElse(null);
            if (marker == null) {
                RepositoryMarker ours = new RepositoryMarker(RepositoryMarker.LAYOUT_VERSION,
                        segment.systemIdentifier(), segment.segmentSize(), segment.postgresMajorVersion(),
                        clock.instant(), writer);
                boolean created = storage.createIfAbsent(RepositoryMarker.KEY, new ByteArrayInputStream(ours.toBytes()));
                marker = created ? ours : readMarker().orElseThrow(() ->
                        new IOException("repository marker " + RepositoryMarker.KEY + " vanished while being created"));
            }
        }
        if (marker.layoutVersion() > RepositoryMarker.LAYOUT_VERSION) {
            throw new ForeignRepositoryException("repository " + storage.location() + " uses layout version "
                    + marker.layoutVersion() + ", newer than this walstash writes (" + RepositoryMarker.LAYOUT_VERSION
                    + "); upgrade walstash");
        }
        if (marker.systemIdentifier() != segment.systemIdentifier()) {
            throw new ForeignRepositoryException("repository " + storage.location() + " belongs to PostgreSQL system "
                    + Long.toUnsignedString(marker.systemIdentifier()) + ", but " + name + " comes from system "
                    + Long.toUnsignedString(segment.systemIdentifier())
                    + "; give each cluster its own storage prefix");
        }
        if (marker.walSegmentSize() != segment.segmentSize()) {
            throw new ForeignRepositoryException("repository " + storage.location() + " holds "
                    + marker.walSegmentSize() + "-byte WAL segments, but " + name + " is a "
                    + segment.segmentSize() + "-byte segment");
        }
        confirmedMarker = marker;
    }

    /** The repository marker, if the repository has one. */
    public Optional<RepositoryMarker> readMarker() throws IOException {
        return RepositoryMarker.read(storage);
    }

    private PushResult compare(StoredWal stored, ObjectHeader local) throws IOException {
        ObjectHeader remote = storedContent(stored);
        if (remote.sameContentAs(local)) {
            return new PushResult.AlreadyArchived(stored.key());
        }
        return new PushResult.Conflict(stored.key(), "stored " + remote.plainLength() + " bytes with sha256 "
                + remote.sha256Hex() + ", local file has " + local.plainLength() + " bytes with sha256 "
                + local.sha256Hex());
    }

    /**
     * Length and digest of a stored object's plain bytes, decoded from its body: a header alone only
     * says what the body was meant to be, and a body that rotted under an intact header must not
     * count as archived. Such an object fails with a {@link CorruptObjectException} naming it; it is
     * never overwritten (nothing is), so the operator checks and removes it, and the next push
     * archives the file again.
     */
    private ObjectHeader storedContent(StoredWal stored) throws IOException {
        try (StoredPlain plain = openStored(storage, stored.key(), stored.codec())) {
            return digestOf(plain.stream());
        } catch (CorruptObjectException e) {
            throw new CorruptObjectException(e.getMessage() + "; cannot confirm it holds the file being archived,"
                    + " and it is never overwritten: check it, delete it, and archiving stores the file again", e);
        }
    }

    /**
     * The stored object for WAL file {@code name} under {@code folder}, whichever codec wrote it;
     * when several exist (the codec was changed between pushes), the configured codec's is preferred.
     */
    private Optional<StoredWal> findStored(String name, WalFolder folder) throws IOException {
        List<StoredWal> candidates = new ArrayList<>();
        for (WalIndex.Entry form : WalIndex.storedForms(storage, folder, name)) {
            form.walKey().codec(codecs).ifPresent(c -> candidates.add(new StoredWal(form.key(), c)));
        }
        return candidates.stream()
                .min(Comparator.comparing((StoredWal s) -> !s.codec().name().equals(codec.name()))
                        .thenComparing(StoredWal::key));
    }

    private static InputStream streamed(Path file) throws IOException {
        return new BufferedInputStream(Files.newInputStream(file), IO_BUFFER);
    }

    private static long copy(InputStream in, FileChannel out) throws IOException {
        byte[] buffer = new byte[IO_BUFFER];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            ByteBuffer wrapped = ByteBuffer.wrap(buffer, 0, n);
            while (wrapped.hasRemaining()) {
                out.write(wrapped);
            }
            total += n;
        }
        return total;
    }

    static ObjectHeader digestOf(InputStream in) throws IOException {
        MessageDigest digest = Digests.sha256();
        byte[] buffer = new byte[IO_BUFFER];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            digest.update(buffer, 0, n);
            total += n;
        }
        return new ObjectHeader(total, digest.digest());
    }

    /** A WAL object in the repository: its key and the codec its extension names. */
    public record StoredWal(String key, Codec codec) {
        /** The WAL file name this object holds: the key's last part without the codec's extension. */
        public String walFileName() {
            Optional<WalKey> wal = WalKey.parse(key);
            if (wal.isPresent()) {
                return wal.get().name().fileName();
            }
            // a streamed partial holds the start of its segment
            return StreamedPartial.parse(key).orElseThrow(() -> new IllegalStateException(key + " holds no WAL file"))
                    .segment().fileName();
        }
    }

}
