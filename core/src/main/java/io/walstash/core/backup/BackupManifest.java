package io.walstash.core.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
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
        String writer) {

    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public BackupManifest {
        Objects.requireNonNull(name, "name");
        tablespaces = tablespaces == null ? Map.of() : Map.copyOf(new TreeMap<>(tablespaces));
        directories = directories == null ? List.of() : List.copyOf(directories);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /**
     * One file.
     *
     * @param size        the file's length once restored
     * @param modified    its modification time (epoch milliseconds) when read, to detect unchanged files
     * @param delta       whether the object is a {@link DeltaFile} to apply to the file's previous content
     * @param objectKey   the stored object, possibly in an earlier backup (an unchanged file is not stored again)
     * @param sha256      SHA-256 of the object's plain (decompressed) bytes: the file, or the delta file
     * @param plainSize   length of those plain bytes
     * @param storedSize  length of the stored (compressed) object
     * @param corruptPages block numbers whose PostgreSQL page checksum failed when read, or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(String path, long size, int mode, long modified, boolean delta, String objectKey,
                            String sha256, long plainSize, long storedSize, List<Long> corruptPages) {
        public FileEntry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(objectKey, "objectKey");
            corruptPages = corruptPages == null || corruptPages.isEmpty() ? null : List.copyOf(corruptPages);
        }
    }

    /** A directory of the data directory (or of a tablespace, under {@code pg_tblspc/<oid>/}). */
    public record Directory(String path, int mode) {
    }

    public boolean isDelta() {
        return deltaBase != null;
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write manifest of " + name, e);
        }
    }

    /**
     * Reads a manifest and checks everything a restore would trust in it (paths, sizes, keys,
     * tablespace locations): the repository is untrusted input.
     *
     * @throws UnsafeManifestException when it names something walstash refuses to use
     */
    public static BackupManifest parse(byte[] json) throws IOException {
        BackupManifest manifest;
        try {
            manifest = JSON.readValue(json, BackupManifest.class);
        } catch (com.fasterxml.jackson.core.JacksonException | NullPointerException e) {
            // the message of a forged document may quote it: keep only the first line
            String message = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new UnsafeManifestException("a backup manifest is not valid: " + RelativePath.printable(message));
        }
        if (manifest.formatVersion() > FORMAT_VERSION) {
            throw new IOException("backup " + RelativePath.printable(manifest.name()) + " has manifest format "
                    + manifest.formatVersion() + ", newer than this walstash reads (" + FORMAT_VERSION + "); upgrade walstash");
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
                originalSize, storedSize, value, backupLabel, tablespaceMap, tablespaces, directories, files, writer);
    }
}
