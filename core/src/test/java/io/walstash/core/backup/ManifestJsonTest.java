package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Manifest documents token by token against Jackson's data binding, which wrote and read them
 * before: the same bytes written, every field of every record read back, fields a newer walstash
 * might add skipped, and a value of the wrong type refused in one line naming the field.
 */
class ManifestJsonTest {
    private static final String SHA = "ab".repeat(32);

    private static BackupManifest everyField() {
        BackupManifest.Part first = new BackupManifest.Part(32L << 20, 1000, "01".repeat(32), BackupManifest.HashedBytes.PLAIN);
        BackupManifest.Part second = new BackupManifest.Part(5, 7, "02".repeat(32), BackupManifest.HashedBytes.PLAIN);
        List<BackupManifest.Part> parts = List.of(first, second);
        BackupManifest.FileEntry large = new BackupManifest.FileEntry("base/5/16384", (32L << 20) + 5, 0600,
                1_796_522_463_834L, false, "backups/base_000000010000000000000004_D_000000010000000000000002/files/base/5/16384.zst",
                BackupManifest.Part.sha256Of(parts), BackupManifest.HashedBytes.PLAIN, (32L << 20) + 5, 1007, List.of(3L, 4_000_000_000L), parts);
        BackupManifest.FileEntry delta = new BackupManifest.FileEntry("base/5/1259", 8192, 0600, 17, true,
                "backups/base_000000010000000000000004_D_000000010000000000000002/files/base/5/1259.delta.zst",
                SHA, BackupManifest.HashedBytes.PLAIN, 28, 41, null, null);
        return new BackupManifest(BackupManifest.FORMAT_VERSION, "base_000000010000000000000004_D_000000010000000000000002",
                "0/4000028", "0/4000100", 1, "000000010000000000000004", "000000010000000000000004",
                "7300000000000000001", 150004, "2026-12-06T02:00:00Z", "2026-12-06T02:00:01Z",
                "base_000000010000000000000002", "zstd", 8192, true, 123_456_789_012L, 4567, true,
                "START WAL LOCATION: 0/4000028\n", "16385 /srv/ts\n", Map.of("16385", "/srv/ts"),
                List.of(new BackupManifest.Directory("base/5", 0700), new BackupManifest.Directory("pg_tblspc", 0700)),
                List.of(large, delta), "walstash 0.1.0", true);
    }

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Jackson's data binding as walstash configured it to write manifests before ManifestJson (and
     * before checksums over stored bytes: {@code hashed} was not a field, every checksum was plain).
     */
    private static byte[] writtenByDataBinding(BackupManifest manifest) throws Exception {
        ObjectMapper binding = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        binding.addMixIn(BackupManifest.FileEntry.class, HashedNotAField.class);
        binding.addMixIn(BackupManifest.Part.class, HashedNotAField.class);
        JsonInclude.Value nonNull = JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL);
        binding.configOverride(BackupManifest.class).setInclude(nonNull);
        binding.configOverride(BackupManifest.FileEntry.class).setInclude(nonNull);
        return binding.writeValueAsBytes(manifest);
    }

    @Test
    void writesTheDocumentDataBindingWroteByteForByte() throws Exception {
        BackupManifest manifest = everyField();
        assertThat(new String(ManifestJson.write(manifest), StandardCharsets.UTF_8))
                .isEqualTo(new String(writtenByDataBinding(manifest), StandardCharsets.UTF_8));
        for (BackupManifest other : List.of(manifest.catalogOnly(), manifest.withPermanent(false))) {
            assertThat(ManifestJson.write(other)).isEqualTo(writtenByDataBinding(other));
        }
    }

    @Test
    void readsBackEveryFieldDataBindingWrote() throws Exception {
        BackupManifest manifest = everyField();
        assertThat(ManifestJson.read(writtenByDataBinding(manifest))).isEqualTo(manifest);
        assertThat(ManifestJson.read(manifest.toJson())).isEqualTo(manifest);
        assertThat(BackupManifest.parse(manifest.toStoredJson())).isEqualTo(manifest);
        BackupManifest catalog = manifest.catalogOnly();
        assertThat(ManifestJson.read(catalog.toJson())).isEqualTo(catalog);
    }

    @Test
    void skipsFieldsItDoesNotKnowAtEveryLevelAndTakesNullAsAbsent() throws Exception {
        BackupManifest manifest = everyField();
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode tree = (ObjectNode) mapper.readTree(manifest.toJson());
        tree.putObject("addedLater").putArray("nested").addObject().put("deep", List.of(1).size());
        ((ObjectNode) tree.get("files").get(0)).putArray("addedLater").add("x");
        ((ObjectNode) tree.get("files").get(0).get("parts").get(0)).put("addedLater", 1.5);
        ((ObjectNode) tree.get("directories").get(0)).putNull("owner");
        assertThat(ManifestJson.read(mapper.writeValueAsBytes(tree))).isEqualTo(manifest);

        tree.putNull("backupLabel");
        tree.putNull("fromStandby");
        tree.putNull("tablespaces");
        BackupManifest read = ManifestJson.read(mapper.writeValueAsBytes(tree));
        assertThat(read.backupLabel()).isNull();
        assertThat(read.takenFromStandby()).isFalse();
        assertThat(read.tablespaces()).isEmpty();
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedInOneLineNamingTheField() throws Exception {
        String json = new String(everyField().toJson(), StandardCharsets.UTF_8);
        Map<String, String> forged = Map.of(
                json.replace("\"size\" : 8192", "\"size\" : \"8192\""), "files[].size",
                json.replace("\"blockSize\" : 8192", "\"blockSize\" : 8192.5"), "blockSize",
                json.replace("\"permanent\" : true", "\"permanent\" : \"yes\""), "permanent",
                json.replace("\"codec\" : \"zstd\"", "\"codec\" : [\"zstd\"]"), "codec",
                json.replace("\"corruptPages\" : [ 3, 4000000000 ]", "\"corruptPages\" : [ 3, null ]"), "files[].corruptPages",
                json.replace("\"16385\" : \"/srv/ts\"", "\"16385\" : null"), "tablespaces.16385",
                json.replace("\"postgresVersion\" : 150004", "\"postgresVersion\" : 99999999999"), "postgresVersion");
        for (var entry : forged.entrySet()) {
            assertThat(entry.getKey()).isNotEqualTo(json);
            assertThatThrownBy(() -> BackupManifest.parse(bytes(entry.getKey()), "backup x"))
                    .as(entry.getValue())
                    .isInstanceOf(UnsafeManifestException.class)
                    .hasMessageStartingWith("backup x is not valid: ")
                    .hasMessageNotContaining("\n");
        }
        assertThatThrownBy(() -> ManifestJson.read(bytes(json.replace("\"size\" : 8192", "\"size\" : \"8192\""))))
                .hasMessageStartingWith("files[].size: expected a whole number");
        // an unknown field is skipped, but not nested deeper than documents from storage may be
        String shallow = "{\"addedLater\" : " + "[".repeat(8) + "]".repeat(8) + "," + json.substring(json.indexOf('{') + 1);
        assertThat(ManifestJson.read(bytes(shallow))).isEqualTo(everyField());
        String deep = "{\"addedLater\" : " + "[".repeat(40) + "]".repeat(40) + "," + json.substring(json.indexOf('{') + 1);
        assertThatThrownBy(() -> BackupManifest.parse(bytes(deep), "backup x"))
                .isInstanceOf(UnsafeManifestException.class).hasMessageStartingWith("backup x is not valid: ");
        String twice = json.replace("\"startLsn\" : \"0/4000028\",", "\"startLsn\" : \"0/4000028\", \"startLsn\" : \"F/0\",");
        assertThat(twice).isNotEqualTo(json);
        assertThatThrownBy(() -> ManifestJson.read(bytes(twice))).hasMessageContaining("Duplicate field 'startLsn'");
    }

    @com.fasterxml.jackson.annotation.JsonIgnoreProperties("hashed")
    private abstract static class HashedNotAField {
    }

    /** everyField's files with their checksums over stored bytes, as walstash writes them since format 4. */
    private static BackupManifest storedChecksums() {
        BackupManifest plain = everyField();
        List<BackupManifest.FileEntry> files = plain.files().stream().map(f -> {
            List<BackupManifest.Part> parts = f.parts() == null ? null : f.parts().stream()
                    .map(p -> new BackupManifest.Part(p.plainSize(), p.storedSize(), p.sha256(), BackupManifest.HashedBytes.STORED))
                    .toList();
            return new BackupManifest.FileEntry(f.path(), f.size(), f.mode(), f.modified(), f.delta(), f.objectKey(),
                    f.sha256(), BackupManifest.HashedBytes.STORED, f.plainSize(), f.storedSize(), f.corruptPages(), parts);
        }).toList();
        return new BackupManifest(BackupManifest.formatFor(files), plain.name(), plain.startLsn(), plain.stopLsn(),
                plain.timeline(), plain.startWalFile(), plain.stopWalFile(), plain.systemIdentifier(),
                plain.postgresVersion(), plain.startTime(), plain.stopTime(), plain.deltaBase(), plain.codec(),
                plain.blockSize(), plain.dataChecksums(), plain.originalSize(), plain.storedSize(), plain.permanent(),
                plain.backupLabel(), plain.tablespaceMap(), plain.tablespaces(), plain.directories(), files, plain.writer(),
                plain.fromStandby());
    }

    @Test
    void checksumsOverStoredBytesAreWrittenUnderTheirOwnNameInFormat4() throws Exception {
        BackupManifest stored = storedChecksums();
        assertThat(stored.formatVersion()).isEqualTo(4);
        String json = new String(stored.toJson(), StandardCharsets.UTF_8);
        // the plain document with the field renamed (entries and parts), and the format it needs
        String expected = new String(everyField().toJson(), StandardCharsets.UTF_8)
                .replace("\"sha256\" :", "\"storedSha256\" :").replace("\"formatVersion\" : 2", "\"formatVersion\" : 4");
        assertThat(json).isEqualTo(expected).doesNotContain("\"sha256\"");
        assertThat(BackupManifest.parse(stored.toStoredJson())).isEqualTo(stored);
    }

    /** storedChecksums' manifest with a third file stored in a bundle, at {@code offset}. */
    private static BackupManifest withBundledFile(long offset, long storedSize) {
        BackupManifest stored = storedChecksums();
        List<BackupManifest.FileEntry> files = new java.util.ArrayList<>(stored.files());
        files.add(new BackupManifest.FileEntry("base/5/2619_fsm", 24576, 0600, 18, false,
                "backups/base_000000010000000000000004_D_000000010000000000000002/bundles/0.zst", SHA,
                BackupManifest.HashedBytes.STORED, 24576, storedSize, null, null, offset));
        return new BackupManifest(BackupManifest.formatFor(files), stored.name(), stored.startLsn(), stored.stopLsn(),
                stored.timeline(), stored.startWalFile(), stored.stopWalFile(), stored.systemIdentifier(),
                stored.postgresVersion(), stored.startTime(), stored.stopTime(), stored.deltaBase(), stored.codec(),
                stored.blockSize(), stored.dataChecksums(), stored.originalSize(), stored.storedSize(), stored.permanent(),
                stored.backupLabel(), stored.tablespaceMap(), stored.tablespaces(), stored.directories(), files,
                stored.writer(), stored.fromStandby());
    }

    @Test
    void aFileInABundleKeepsItsOffsetInFormat5AndAnOffsetPastTheLargestIsRefused() throws Exception {
        BackupManifest bundled = withBundledFile(123_456, 300);
        assertThat(bundled.formatVersion()).isEqualTo(BackupManifest.FORMAT_BUNDLED);
        String json = new String(bundled.toJson(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"storedOffset\" : 123456").containsOnlyOnce("storedOffset");
        BackupManifest read = BackupManifest.parse(bundled.toStoredJson());
        assertThat(read).isEqualTo(bundled);
        assertThat(read.files().get(2).bundled()).isTrue();
        assertThat(read.files().get(0).bundled()).isFalse();

        // a delta pointing at its base's member keeps the offset
        assertThat(read.files().get(2).withFile("base/5/2619_fsm", 24576, 0600, 19).storedOffset()).isEqualTo(123_456L);

        String negative = json.replace("\"storedOffset\" : 123456", "\"storedOffset\" : -1");
        assertThatThrownBy(() -> BackupManifest.parse(bytes(negative), "backup x"))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("non-negative offset");
        BackupManifest overflowing = withBundledFile(Long.MAX_VALUE - 10, 300);
        assertThatThrownBy(() -> BackupManifest.parse(overflowing.toStoredJson()))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("base/5/2619_fsm")
                .hasMessageContaining("offset whose end overflows");
        // a file in parts is its own object: parts and an offset together are refused
        String withParts = new String(storedChecksums().toJson(), StandardCharsets.UTF_8)
                .replace("\"parts\" : [", "\"storedOffset\" : 0, \"parts\" : [");
        assertThatThrownBy(() -> BackupManifest.parse(bytes(withParts), "backup x"))
                .isInstanceOf(UnsafeManifestException.class).hasMessageContaining("with parts");
    }

    @Test
    void anEntryWithBothChecksumsOrPartsHashedOverOtherBytesIsRefused() throws Exception {
        String json = new String(storedChecksums().toJson(), StandardCharsets.UTF_8);
        String both = json.replace("\"storedSha256\" : \"" + SHA + "\"",
                "\"storedSha256\" : \"" + SHA + "\", \"sha256\" : \"" + SHA + "\"");
        assertThat(both).isNotEqualTo(json);
        assertThatThrownBy(() -> BackupManifest.parse(bytes(both), "backup x"))
                .isInstanceOf(UnsafeManifestException.class)
                .hasMessage("backup x is not valid: \"files[] has both sha256 and storedSha256\"");
        // one part's checksum said to be over plain bytes, the object's over stored ones
        String mixed = json.replace("\"storedSha256\" : \"" + "01".repeat(32), "\"sha256\" : \"" + "01".repeat(32));
        assertThat(mixed).isNotEqualTo(json);
        assertThatThrownBy(() -> BackupManifest.parse(bytes(mixed), "backup x"))
                .isInstanceOf(UnsafeManifestException.class)
                .hasMessageContaining("are not all hashed over stored bytes");
    }

    /** A walstash refuses a manifest newer than it reads as newer, whatever its fields now hold. */
    @Test
    void aNewerFormatIsRefusedAsNewerEvenWhenItsFieldsChanged() throws Exception {
        String json = new String(everyField().toJson(), StandardCharsets.UTF_8);
        int next = BackupManifest.NEWEST_FORMAT + 1;
        String newer = json.replace("\"formatVersion\" : 2", "\"formatVersion\" : " + next);
        String changed = newer.replace("\"codec\" : \"zstd\"", "\"codec\" : {\"name\" : \"zstd\", \"level\" : 3}");
        assertThat(changed).isNotEqualTo(newer).isNotEqualTo(json);
        for (String document : List.of(newer, changed)) {
            assertThatThrownBy(() -> BackupManifest.parse(bytes(document), "backup x: backups/x/manifest.json"))
                    .isNotInstanceOf(UnsafeManifestException.class)
                    .hasMessage("backup x: backups/x/manifest.json has manifest format " + next
                            + ", newer than this walstash reads (" + BackupManifest.NEWEST_FORMAT + "); upgrade walstash");
        }
    }

    @Test
    void whatIsNotOneManifestObjectIsRefused() {
        for (String json : List.of("[]", "\"base_000000010000000000000002\"", "{\"name\" : \"a\"} {}", "{\"name\" : \"a\"",
                "{\"files\" : [ 1 ]}", "{\"name\" : \"a\", \"name\" : \"b\"}", "{\"files\" : {}}", "{\"directories\" : [ [] ]}")) {
            assertThatThrownBy(() -> BackupManifest.parse(bytes(json), "backup x")).as(json)
                    .isInstanceOf(UnsafeManifestException.class)
                    .hasMessageStartingWith("backup x is not valid: ");
        }
    }
}
