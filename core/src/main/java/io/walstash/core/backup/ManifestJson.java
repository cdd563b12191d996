package io.walstash.core.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.walstash.core.io.PlainJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A manifest document and its {@link BackupManifest}, both ways, token by token.
 *
 * <p>Why not Jackson's data binding, which read and wrote them before: a command reads one or two
 * manifests and writes at most one, so binding's set-up (introspecting the records, building their
 * (de)serializers, the annotation proxies) was most of the cost, and a restore paid it on its main
 * thread before its first file: about 0.15 s of a scale-30 backup-fetch's start, 0.06 s of a
 * backup-push's end. Reading or writing the tokens of a manifest of a thousand files takes a few
 * milliseconds.
 *
 * <p>The document written is the one binding wrote, byte for byte ({@code ManifestJsonTest}
 * compares them): the records' fields in order, absent (null) ones left out, Jackson's default
 * pretty printing, and the {@code "delta"} flag binding added from {@link BackupManifest#isDelta}.
 *
 * <p>What it reads is what binding accepted: unknown fields are skipped (a newer walstash may add
 * some), a missing number is 0 and a missing boolean false, null stands for absent. It is stricter
 * in three ways, for documents walstash never wrote: a value of the wrong JSON type (a number given
 * as a string, say) is refused, where binding converted it; so is a field given twice, where the
 * last counted (the catalog's scan for a start LSN takes the first); and nesting deeper than
 * the bound {@link PlainJson} keeps for documents from storage. Every
 * refusal is an {@link IOException} whose first line names the field; the records' own checks
 * (a missing name, parts that do not add up) throw as they do from any constructor.
 */
final class ManifestJson {
    private ManifestJson() {
    }

    /** A manifest of a format newer than this walstash reads, found before the fields it may have changed. */
    static final class NewerFormatException extends IOException {
        private final int formatVersion;

        NewerFormatException(int formatVersion) {
            super("manifest format " + formatVersion);
            this.formatVersion = formatVersion;
        }

        int formatVersion() {
            return formatVersion;
        }
    }

    static byte[] write(BackupManifest m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 256 * m.files().size());
        try (JsonGenerator g = PlainJson.generator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeNumberField("formatVersion", m.formatVersion());
            text(g, "name", m.name());
            text(g, "startLsn", m.startLsn());
            text(g, "stopLsn", m.stopLsn());
            g.writeNumberField("timeline", m.timeline());
            text(g, "startWalFile", m.startWalFile());
            text(g, "stopWalFile", m.stopWalFile());
            text(g, "systemIdentifier", m.systemIdentifier());
            g.writeNumberField("postgresVersion", m.postgresVersion());
            text(g, "startTime", m.startTime());
            text(g, "stopTime", m.stopTime());
            text(g, "deltaBase", m.deltaBase());
            text(g, "codec", m.codec());
            g.writeNumberField("blockSize", m.blockSize());
            g.writeBooleanField("dataChecksums", m.dataChecksums());
            g.writeNumberField("originalSize", m.originalSize());
            g.writeNumberField("storedSize", m.storedSize());
            g.writeBooleanField("permanent", m.permanent());
            text(g, "backupLabel", m.backupLabel());
            text(g, "tablespaceMap", m.tablespaceMap());
            g.writeObjectFieldStart("tablespaces");
            for (Map.Entry<String, String> tablespace : new java.util.TreeMap<>(m.tablespaces()).entrySet()) {
                g.writeStringField(tablespace.getKey(), tablespace.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("directories");
            for (BackupManifest.Directory directory : m.directories()) {
                g.writeStartObject();
                g.writeStringField("path", directory.path());
                g.writeNumberField("mode", directory.mode());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("files");
            for (BackupManifest.FileEntry file : m.files()) {
                file(g, file);
            }
            g.writeEndArray();
            text(g, "writer", m.writer());
            if (m.fromStandby() != null) {
                g.writeBooleanField("fromStandby", m.fromStandby());
            }
            g.writeBooleanField("delta", m.isDelta());
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the manifest of " + m.name(), e); // into memory: not expected
        }
        return out.toByteArray();
    }

    private static void file(JsonGenerator g, BackupManifest.FileEntry file) throws IOException {
        g.writeStartObject();
        text(g, "path", file.path());
        g.writeNumberField("size", file.size());
        g.writeNumberField("mode", file.mode());
        g.writeNumberField("modified", file.modified());
        g.writeBooleanField("delta", file.delta());
        text(g, "objectKey", file.objectKey());
        text(g, sha256Field(file.hashed()), file.sha256());
        g.writeNumberField("plainSize", file.plainSize());
        g.writeNumberField("storedSize", file.storedSize());
        if (file.storedOffset() != null) {
            g.writeNumberField("storedOffset", file.storedOffset());
        }
        if (file.corruptPages() != null) {
            g.writeArrayFieldStart("corruptPages");
            for (long block : file.corruptPages()) {
                g.writeNumber(block);
            }
            g.writeEndArray();
        }
        if (file.parts() != null) {
            g.writeArrayFieldStart("parts");
            for (BackupManifest.Part part : file.parts()) {
                g.writeStartObject();
                g.writeNumberField("plainSize", part.plainSize());
                g.writeNumberField("storedSize", part.storedSize());
                g.writeStringField(sha256Field(part.hashed()), part.sha256());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        g.writeEndObject();
    }

    /**
     * The name of a checksum field: {@code sha256} for plain bytes, as every manifest before format 4
     * has it, so that what an older walstash wrote is written back the same; {@code storedSha256}
     * otherwise, a field an older walstash does not take for a plain checksum.
     */
    private static String sha256Field(BackupManifest.HashedBytes hashed) {
        return hashed == BackupManifest.HashedBytes.PLAIN ? "sha256" : "storedSha256";
    }

    /** A string field, left out when null (as binding's NON_NULL did). */
    private static void text(JsonGenerator g, String field, String value) throws IOException {
        if (value != null) {
            g.writeStringField(field, value);
        }
    }

    static BackupManifest read(byte[] json) throws IOException {
        // storage's rules: a field given twice is refused (two readers could pick different ones), nesting bounded
        try (JsonParser parser = PlainJson.parser(json)) {
            expect(parser.nextToken(), JsonToken.START_OBJECT, "the manifest");
            BackupManifest manifest = manifest(parser);
            if (parser.nextToken() != null) {
                throw new IOException("more than one JSON value in the manifest");
            }
            return manifest;
        }
    }

    private static BackupManifest manifest(JsonParser p) throws IOException {
        int formatVersion = 0;
        String name = null;
        String startLsn = null;
        String stopLsn = null;
        long timeline = 0;
        String startWalFile = null;
        String stopWalFile = null;
        String systemIdentifier = null;
        int postgresVersion = 0;
        String startTime = null;
        String stopTime = null;
        String deltaBase = null;
        String codec = null;
        int blockSize = 0;
        boolean dataChecksums = false;
        long originalSize = 0;
        long storedSize = 0;
        boolean permanent = false;
        String backupLabel = null;
        String tablespaceMap = null;
        Map<String, String> tablespaces = null;
        List<BackupManifest.Directory> directories = null;
        List<BackupManifest.FileEntry> files = null;
        String writer = null;
        Boolean fromStandby = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "formatVersion" -> {
                    formatVersion = intValue(p, field);
                    if (formatVersion > BackupManifest.NEWEST_FORMAT) {
                        // its other fields may mean something else: say "newer", not "not valid"
                        throw new NewerFormatException(formatVersion);
                    }
                }
                case "name" -> name = text(p, field);
                case "startLsn" -> startLsn = text(p, field);
                case "stopLsn" -> stopLsn = text(p, field);
                case "timeline" -> timeline = longValue(p, field);
                case "startWalFile" -> startWalFile = text(p, field);
                case "stopWalFile" -> stopWalFile = text(p, field);
                case "systemIdentifier" -> systemIdentifier = text(p, field);
                case "postgresVersion" -> postgresVersion = intValue(p, field);
                case "startTime" -> startTime = text(p, field);
                case "stopTime" -> stopTime = text(p, field);
                case "deltaBase" -> deltaBase = text(p, field);
                case "codec" -> codec = text(p, field);
                case "blockSize" -> blockSize = intValue(p, field);
                case "dataChecksums" -> dataChecksums = bool(p, field);
                case "originalSize" -> originalSize = longValue(p, field);
                case "storedSize" -> storedSize = longValue(p, field);
                case "permanent" -> permanent = bool(p, field);
                case "backupLabel" -> backupLabel = text(p, field);
                case "tablespaceMap" -> tablespaceMap = text(p, field);
                case "tablespaces" -> tablespaces = tablespaces(p);
                case "directories" -> directories = objects(p, "directories", ManifestJson::directory);
                case "files" -> files = objects(p, "files", ManifestJson::file);
                case "writer" -> writer = text(p, field);
                case "fromStandby" -> fromStandby = p.currentToken() == JsonToken.VALUE_NULL ? null : bool(p, field);
                default -> p.skipChildren(); // a field a newer walstash added
            }
        }
        expect(p.currentToken(), JsonToken.END_OBJECT, "the manifest");
        return new BackupManifest(formatVersion, name, startLsn, stopLsn, timeline, startWalFile, stopWalFile,
                systemIdentifier, postgresVersion, startTime, stopTime, deltaBase, codec, blockSize, dataChecksums,
                originalSize, storedSize, permanent, backupLabel, tablespaceMap, tablespaces, directories, files, writer,
                fromStandby);
    }

    private static Map<String, String> tablespaces(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(p.currentToken(), JsonToken.START_OBJECT, "tablespaces");
        Map<String, String> tablespaces = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String oid = p.currentName();
            p.nextToken();
            String location = text(p, "tablespaces." + oid);
            if (location == null) {
                throw new IOException("tablespaces." + oid + ": a location is required");
            }
            tablespaces.put(oid, location);
        }
        return tablespaces;
    }

    /** Reads one object of an array, the parser on its START_OBJECT. */
    @FunctionalInterface
    private interface Element<T> {
        T read(JsonParser p) throws IOException;
    }

    /** An array of objects, or null; {@code what} names it in a refusal. */
    private static <T> List<T> objects(JsonParser p, String what, Element<T> element) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(p.currentToken(), JsonToken.START_ARRAY, what);
        List<T> read = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            expect(p.currentToken(), JsonToken.START_OBJECT, what + "[" + read.size() + "]");
            read.add(element.read(p));
        }
        return read;
    }

    private static BackupManifest.Directory directory(JsonParser p) throws IOException {
        String path = null;
        int mode = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "path" -> path = text(p, "directories[].path");
                case "mode" -> mode = intValue(p, "directories[].mode");
                default -> p.skipChildren();
            }
        }
        return new BackupManifest.Directory(path, mode);
    }

    private static BackupManifest.FileEntry file(JsonParser p) throws IOException {
        String path = null;
        long size = 0;
        int mode = 0;
        long modified = 0;
        boolean delta = false;
        String objectKey = null;
        Checksum checksum = new Checksum("files[]");
        long plainSize = 0;
        long storedSize = 0;
        List<Long> corruptPages = null;
        List<BackupManifest.Part> parts = null;
        Long storedOffset = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "path" -> path = text(p, "files[].path");
                case "size" -> size = longValue(p, "files[].size");
                case "mode" -> mode = intValue(p, "files[].mode");
                case "modified" -> modified = longValue(p, "files[].modified");
                case "delta" -> delta = bool(p, "files[].delta");
                case "objectKey" -> objectKey = text(p, "files[].objectKey");
                case "sha256", "storedSha256" -> checksum.read(p, field);
                case "plainSize" -> plainSize = longValue(p, "files[].plainSize");
                case "storedSize" -> storedSize = longValue(p, "files[].storedSize");
                case "storedOffset" -> storedOffset = longValue(p, "files[].storedOffset");
                case "corruptPages" -> corruptPages = longs(p, "files[].corruptPages");
                case "parts" -> parts = objects(p, "files[].parts", ManifestJson::part);
                default -> p.skipChildren();
            }
        }
        return new BackupManifest.FileEntry(path, size, mode, modified, delta, objectKey, checksum.sha256,
                checksum.hashed, plainSize, storedSize, corruptPages, parts, storedOffset);
    }

    private static BackupManifest.Part part(JsonParser p) throws IOException {
        long plainSize = 0;
        long storedSize = 0;
        Checksum checksum = new Checksum("parts[]");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "plainSize" -> plainSize = longValue(p, "parts[].plainSize");
                case "storedSize" -> storedSize = longValue(p, "parts[].storedSize");
                case "sha256", "storedSha256" -> checksum.read(p, field);
                default -> p.skipChildren();
            }
        }
        return new BackupManifest.Part(plainSize, storedSize, checksum.sha256, checksum.hashed);
    }

    /** An entry's or part's checksum: {@code sha256} (plain bytes) or {@code storedSha256}, never both. */
    private static final class Checksum {
        private final String where;
        private String sha256;
        private BackupManifest.HashedBytes hashed = BackupManifest.HashedBytes.PLAIN;
        private boolean seen;

        Checksum(String where) {
            this.where = where;
        }

        void read(JsonParser p, String field) throws IOException {
            if (seen) {
                // two checksums over different bytes: which one a reader checks must not be a choice
                throw new IOException(where + " has both sha256 and storedSha256");
            }
            seen = true;
            sha256 = text(p, where + "." + field);
            hashed = field.equals("sha256") ? BackupManifest.HashedBytes.PLAIN : BackupManifest.HashedBytes.STORED;
        }
    }

    private static List<Long> longs(JsonParser p, String field) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(p.currentToken(), JsonToken.START_ARRAY, field);
        List<Long> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                throw new IOException(field + ": expected whole numbers, found " + p.currentToken());
            }
            values.add(p.getLongValue());
        }
        return values;
    }

    private static String text(JsonParser p, String field) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> p.getText();
            case VALUE_NULL -> null;
            default -> throw new IOException(field + ": expected a string, found " + p.currentToken());
        };
    }

    private static int intValue(JsonParser p, String field) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_NUMBER_INT -> p.getIntValue(); // out of int's range: Jackson refuses it
            case VALUE_NULL -> 0;
            default -> throw new IOException(field + ": expected a whole number, found " + p.currentToken());
        };
    }

    private static long longValue(JsonParser p, String field) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_NUMBER_INT -> p.getLongValue();
            case VALUE_NULL -> 0;
            default -> throw new IOException(field + ": expected a whole number, found " + p.currentToken());
        };
    }

    private static boolean bool(JsonParser p, String field) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE, VALUE_NULL -> false;
            default -> throw new IOException(field + ": expected true or false, found " + p.currentToken());
        };
    }

    private static void expect(JsonToken found, JsonToken expected, String what) throws IOException {
        if (found != expected) {
            throw new IOException(what + ": expected " + expected + ", found " + found);
        }
    }
}
