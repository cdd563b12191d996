package io.walstash.core.backup;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.Decoding;
import io.walstash.core.codec.Codec;
import io.walstash.core.io.Digests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * What one backup holds: {@code backups/<name>/manifest.json}, written last (the commit point).
 * Times are ISO-8601 instants, LSNs in PostgreSQL's {@code X/X} notation, checksums lower-case hex.
 *
 * @param name               {@code base_<start segment>} or {@code base_<start segment>_D_<base's start segment>}
 * @param deltaBase          the backup this delta applies to, or null for a full backup
 * @param permanent          permanence when the backup was taken (the {@code permanent} marker object is current)
 * @param files              every file of the data directory as restored, including files a delta inherits
 * @param directories        every directory, with its mode, so empty ones are recreated
 * @param tablespaces        tablespace oid -> location it had on the backed-up server
 * @param fromStandby        true when taken from a hot standby (its WAL came from the primary's archive);
 *                           absent (null) in manifests of backups taken from a primary
 */
public record BackupManifest(
        int formatVersion,
        String name,
        String startLsn,
        String stopLsn,
        long timeline,
        String startWalFile,
        String stopWalFile,
        String systemIdentifier,
        int postgresVersion,
        String startTime,
        String stopTime,
        String deltaBase,
        String codec,
        int blockSize,
        boolean dataChecksums,
        long originalSize,
        long storedSize,
        boolean permanent,
        String backupLabel,
        String tablespaceMap,
        Map<String, String> tablespaces,
        List<Directory> directories,
        List<FileEntry> files,
        String writer,
        Boolean fromStandby) {

    /** The format of a whole manifest with {@link FileEntry#parts} (format 2 added them) and plain checksums. */
    public static final int FORMAT_VERSION = 2;
    /**
     * The catalog of an encrypted backup: its files,
     * directories, tablespaces and labels are in its encrypted {@code content.json} (a whole manifest).
     */
    public static final int FORMAT_SEALED = 3;
    /** The format of manifests without parts, which walstash before format 2 reads too. */
    public static final int FORMAT_VERSION_WITHOUT_PARTS = 1;
    /**
     * A whole manifest with entries whose SHA-256 is over the stored bytes ({@link HashedBytes#STORED},
     * field {@code storedSha256}); walstash before it would not know how to check them.
     */
    public static final int FORMAT_STORED_SHA256 = 4;
    /**
     * A whole manifest whose small files may be stored together, each a codec stream at an offset of
     * a bundle object ({@link FileEntry#storedOffset}); walstash before it would read a bundle as
     * one file's object.
     */
    public static final int FORMAT_BUNDLED = 5;
    /**
     * The catalog of an encrypted backup whose {@code content.json} is the whole manifest deflated
     * (zlib, {@link #toStoredContent}) before it is encrypted; format 3's is the JSON as it is.
     * Why: the file list is pretty-printed JSON of some 300 bytes a file that deflates about seven
     * times, and a restore decrypts it first thing, before the JVM has compiled its cipher (a
     * scale-20 database's 358 KB, 50 KB deflated: from reading the keyring to the parsed file list
     * 0.26 -> 0.23 s). walstash before it would read the deflated bytes as JSON.
     */
    public static final int FORMAT_SEALED_DEFLATED = 6;
    /** The newest format this walstash reads. */
    public static final int NEWEST_FORMAT = FORMAT_SEALED_DEFLATED;

    public BackupManifest {
        Objects.requireNonNull(name, "name");
        fromStandby = Boolean.TRUE.equals(fromStandby) ? Boolean.TRUE : null; // false is written as absent
        tablespaces = tablespaces == null ? Map.of() : Map.copyOf(new TreeMap<>(tablespaces));
        directories = directories == null ? List.of() : List.copyOf(directories);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** A manifest of a backup taken from a primary (the form every manifest had before standby backups). */
    public BackupManifest(int formatVersion, String name, String startLsn, String stopLsn, long timeline,
                          String startWalFile, String stopWalFile, String systemIdentifier, int postgresVersion,
                          String startTime, String stopTime, String deltaBase, String codec, int blockSize,
                          boolean dataChecksums, long originalSize, long storedSize, boolean permanent,
                          String backupLabel, String tablespaceMap, Map<String, String> tablespaces,
                          List<Directory> directories, List<FileEntry> files, String writer) {
        this(formatVersion, name, startLsn, stopLsn, timeline, startWalFile, stopWalFile, systemIdentifier,
                postgresVersion, startTime, stopTime, deltaBase, codec, blockSize, dataChecksums, originalSize,
                storedSize, permanent, backupLabel, tablespaceMap, tablespaces, directories, files, writer, null);
    }

    /** Whether the backup was taken from a hot standby. */
    public boolean takenFromStandby() {
        return Boolean.TRUE.equals(fromStandby);
    }

    /**
     * One file.
     *
     * @param size        the file's length once restored
     * @param modified    its modification time (epoch milliseconds) when read, to detect unchanged files
     * @param delta       whether the object is a {@link DeltaFile} to apply to the file's previous content
     * @param objectKey   the stored object, possibly in an earlier backup (an unchanged file is not stored again)
     * @param sha256      SHA-256 of the object's bytes, {@code hashed} says which: its stored bytes (what
     *                    the codec wrote) or, in objects written before format 4, its plain (decompressed)
     *                    bytes; for an object in parts, {@link Part#sha256Of} its parts
     * @param hashed      which bytes {@code sha256} is over; its parts' are over the same
     * @param plainSize   length of those plain bytes
     * @param storedSize  length of the stored (compressed) object
     * @param corruptPages block numbers whose PostgreSQL page checksum failed when read, or null
     * @param parts       null for an object that is one codec stream; for a large file, the
     *                    independently compressed parts the object is the concatenation of, in order
     *                    (so that a restore can fetch and decompress them in parallel)
     * @param storedOffset null when the object is this file's alone; for a small file stored in a
     *                    bundle (format 5), where its codec stream of {@code storedSize} bytes starts
     *                    in the bundle object (see {@link #bundled})
     */
    public record FileEntry(String path, long size, int mode, long modified, boolean delta, String objectKey,
                            String sha256, HashedBytes hashed, long plainSize, long storedSize, List<Long> corruptPages,
                            List<Part> parts, Long storedOffset) {
        public FileEntry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(objectKey, "objectKey");
            Objects.requireNonNull(hashed, "hashed");
            corruptPages = corruptPages == null || corruptPages.isEmpty() ? null : List.copyOf(corruptPages);
            parts = parts == null || parts.isEmpty() ? null : List.copyOf(parts);
            if (storedOffset != null && (storedOffset < 0 || parts != null)) {
                throw new IllegalArgumentException("a bundled object is one codec stream at a non-negative offset, got "
                        + storedOffset + (parts != null ? " with parts" : ""));
            }
            if (parts != null) {
                long plain = parts.stream().mapToLong(Part::plainSize).sum();
                long stored = parts.stream().mapToLong(Part::storedSize).sum();
                if (plain != plainSize || stored != storedSize) {
                    throw new IllegalArgumentException("the parts of " + objectKey + " add up to " + plain + " plain and "
                            + stored + " stored bytes, the entry records " + plainSize + " and " + storedSize);
                }
                if (parts.stream().anyMatch(part -> part.hashed() != hashed)) {
                    throw new IllegalArgumentException("the parts of " + objectKey + " are not all hashed over "
                            + hashed.name().toLowerCase(java.util.Locale.ROOT) + " bytes, as the object is");
                }
                if (!Part.sha256Of(parts).equals(sha256)) {
                    throw new IllegalArgumentException("the parts of " + objectKey + " do not match its sha256 " + sha256);
                }
            }
        }

        /** An entry whose object is the file's alone (every entry before format 5). */
        public FileEntry(String path, long size, int mode, long modified, boolean delta, String objectKey,
                         String sha256, HashedBytes hashed, long plainSize, long storedSize, List<Long> corruptPages,
                         List<Part> parts) {
            this(path, size, mode, modified, delta, objectKey, sha256, hashed, plainSize, storedSize, corruptPages,
                    parts, null);
        }

        /** The same object for another file entry (an unchanged file pointing at its base's object). */
        public FileEntry withFile(String path, long size, int mode, long modified) {
            return new FileEntry(path, size, mode, modified, delta, objectKey, sha256, hashed, plainSize, storedSize,
                    corruptPages, parts, storedOffset);
        }

        /** Whether the file's codec stream is one of several in a bundle object, at {@link #storedOffset}. */
        public boolean bundled() {
            return storedOffset != null;
        }
    }

    /**
     * Which bytes of an object its SHA-256 is over. Either proves the restored bytes are the ones
     * backed up (decompression is a function of the stored bytes); the stored bytes are what a
     * restore reads anyway and are several times fewer, so a restore hashes far less.
     */
    public enum HashedBytes {
        /** The plain (decompressed) bytes: every object written before manifest format 4. */
        PLAIN,
        /** The bytes the codec wrote, as stored (and as the encrypting layer, if any, returns them). */
        STORED
    }

    /**
     * One independently compressed part of a stored object: a complete codec stream of
     * {@code plainSize} plain bytes, {@code storedSize} bytes long, with SHA-256 {@code sha256} over
     * the bytes {@code hashed} names. A part starts where the previous one ends, in the object and
     * in the file.
     */
    public record Part(long plainSize, long storedSize, String sha256, HashedBytes hashed) {
        public Part {
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(hashed, "hashed");
            if (plainSize < 0 || storedSize < 0) {
                throw new IllegalArgumentException("negative part size: " + plainSize + " plain, " + storedSize + " stored");
            }
            if (!ManifestChecks.isSha256Hex(sha256)) {
                throw new IllegalArgumentException("part sha256 must be 64 lower-case hex digits, got '" + sha256 + "'");
            }
        }

        /**
         * The SHA-256 of the parts' SHA-256s (32 bytes each, in order): the checksum a file stored
         * in parts has in its entry, so that each plain byte is hashed once, by its part.
         */
        public static String sha256Of(List<Part> parts) {
            MessageDigest digest = Digests.sha256();
            for (Part part : parts) {
                digest.update(HexFormat.of().parseHex(part.sha256()));
            }
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    /**
     * The catalog part of this manifest, what an encrypted backup keeps clear: names, times, LSNs,
     * sizes; no file name, path, label or tablespace location.
     */
    public BackupManifest catalogOnly() {
        return new BackupManifest(FORMAT_SEALED_DEFLATED, name, startLsn, stopLsn, timeline, startWalFile, stopWalFile,
                systemIdentifier, postgresVersion, startTime, stopTime, deltaBase, codec, blockSize, dataChecksums,
                originalSize, storedSize, permanent, null, null, null, null, null, writer);
    }

    /** Whether this is only the catalog of an encrypted backup (its content not read). */
    public boolean sealed() {
        return formatVersion == FORMAT_SEALED || formatVersion == FORMAT_SEALED_DEFLATED;
    }

    /** Whether this catalog's {@code content.json} is deflated ({@link #toStoredContent}; else the JSON as it is). */
    public boolean contentDeflated() {
        return formatVersion == FORMAT_SEALED_DEFLATED;
    }

    /**
     * Whether {@code content} (read from the encrypted {@code content.json}) is this catalog's
     * backup: a content object swapped in from another backup must not be restored under this name.
     */
    public boolean catalogOf(BackupManifest content) {
        return !content.sealed() && java.util.Arrays.asList(name, startLsn, stopLsn, timeline,
                startWalFile, stopWalFile, systemIdentifier, postgresVersion, startTime, stopTime, deltaBase, codec,
                originalSize, storedSize).equals(java.util.Arrays.asList(content.name, content.startLsn, content.stopLsn,
                content.timeline, content.startWalFile, content.stopWalFile, content.systemIdentifier,
                content.postgresVersion, content.startTime, content.stopTime, content.deltaBase, content.codec,
                content.originalSize, content.storedSize));
    }

    /**
     * The format a manifest with {@code files} is written in: the oldest that holds them, so that an
     * older walstash still reads what it can check.
     */
    public static int formatFor(List<FileEntry> files) {
        if (files.stream().anyMatch(FileEntry::bundled)) {
            return FORMAT_BUNDLED;
        }
        if (files.stream().anyMatch(f -> f.hashed() == HashedBytes.STORED)) {
            return FORMAT_STORED_SHA256;
        }
        return files.stream().anyMatch(f -> f.parts() != null) ? FORMAT_VERSION : FORMAT_VERSION_WITHOUT_PARTS;
    }

    /** A directory of the data directory (or of a tablespace, under {@code pg_tblspc/<oid>/}). */
    public record Directory(String path, int mode) {
    }

    public boolean isDelta() {
        return deltaBase != null;
    }

    /** The manifest as a JSON document, without a checksum of its own (see {@link #toStoredJson}). */
    public byte[] toJson() {
        return ManifestJson.write(this);
    }

    /**
     * The manifest as it is stored ({@code manifest.json}, {@code content.json}): {@link #toJson}
     * opening with its own checksum, which {@link #parse} checks ({@link ManifestDigest}).
     */
    public byte[] toStoredJson() {
        return ManifestDigest.seal(toJson());
    }

    /**
     * How format {@value #FORMAT_SEALED_DEFLATED} deflates {@code content.json}: zlib rather than the
     * backup's codec, since the JDK has it whatever codecs are installed where it is read; a codec, so
     * that {@link Decoding} tells bytes that do not inflate from a failed read, as for any object.
     */
    private static final Codec CONTENT_DEFLATE = new Codec() {
        @Override
        public String name() {
            return "zlib";
        }

        @Override
        public String fileExtension() {
            return "";
        }

        @Override
        public OutputStream compress(OutputStream out) {
            return new DeflaterOutputStream(out);
        }

        @Override
        public InputStream decompress(InputStream in) {
            return new InflaterInputStream(in);
        }
    };

    /**
     * An encrypted backup's {@code content.json} as it is stored beneath the encryption: this whole
     * manifest ({@link #toStoredJson}) deflated, as its catalog ({@link #catalogOnly}, format
     * {@value #FORMAT_SEALED_DEFLATED}) says; {@link #parseStoredContent} reads it.
     */
    public byte[] toStoredContent() throws IOException {
        ByteArrayOutputStream deflated = new ByteArrayOutputStream();
        try (OutputStream out = CONTENT_DEFLATE.compress(deflated)) {
            out.write(toStoredJson());
        }
        return deflated.toByteArray();
    }

    /**
     * The manifest {@code stored} ({@link #toStoredContent}) holds, inflated to at most {@code limit}
     * bytes and parsed as {@link #parse} does; {@code what} names it in messages. Bytes that do not
     * inflate are a {@link CorruptObjectException} ({@link Decoding}); a failed read is passed on.
     */
    public static BackupManifest parseStoredContent(InputStream stored, int limit, String what) throws IOException {
        byte[] json;
        Decoding.Source source = Decoding.source(stored);
        try (InputStream in = Decoding.decode(source, source, CONTENT_DEFLATE, what)) {
            json = in.readNBytes(limit + 1);
        }
        if (json.length > limit) {
            throw new UnsafeManifestException(what + " inflates to more than " + limit + " bytes");
        }
        return parse(json, what);
    }

    /**
     * Reads a manifest and checks everything a restore would trust in it (paths, sizes, keys,
     * tablespace locations): the repository is untrusted input. A manifest stored with its own
     * checksum ({@link #toStoredJson}) is checked against it first, before any parsing.
     *
     * @throws UnsafeManifestException when it names something walstash refuses to use
     * @throws io.walstash.core.archive.CorruptObjectException when it fails its own checksum
     */
    public static BackupManifest parse(byte[] json) throws IOException {
        return parse(json, "a backup manifest");
    }

    /** As {@link #parse(byte[])}; {@code what} names the document in the message when it is not JSON at all. */
    public static BackupManifest parse(byte[] json, String what) throws IOException {
        ManifestDigest.check(json, what);
        BackupManifest manifest;
        try {
            manifest = ManifestJson.read(json);
        } catch (ManifestJson.NewerFormatException e) {
            throw new IOException(what + " has manifest format " + e.formatVersion() + ", newer than this walstash reads ("
                    + NEWEST_FORMAT + "); upgrade walstash");
        } catch (IOException | NullPointerException | IllegalArgumentException e) {
            // the message of a forged document may quote it: keep only the first line
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new UnsafeManifestException(what + " is not valid: " + RelativePath.printable(message));
        }
        ManifestChecks.check(manifest);
        return manifest;
    }

    /** Every corrupt page found, as {@code path:block}. */
    public List<String> corruptPages() {
        return files.stream().filter(f -> f.corruptPages() != null)
                .flatMap(f -> f.corruptPages().stream().map(b -> f.path() + ":" + b)).toList();
    }

    public BackupManifest withPermanent(boolean value) {
        return new BackupManifest(formatVersion, name, startLsn, stopLsn, timeline, startWalFile, stopWalFile,
                systemIdentifier, postgresVersion, startTime, stopTime, deltaBase, codec, blockSize, dataChecksums,
                originalSize, storedSize, value, backupLabel, tablespaceMap, tablespaces, directories, files, writer,
                fromStandby);
    }
}
