package io.walstash.core.backup;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.io.Digests;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The checksum a stored manifest carries of itself. A manifest names every file's checksum, but
 * nothing checked the manifest: a byte flipped at rest or on the way could still parse (a path,
 * a size, an LSN, a label altered) and be restored from, or fail deep in the JSON parser as an
 * "unsafe manifest" that a second download would have read fine.
 *
 * <p>The stored form opens with {@code "manifestSha256" : "<64 hex>"} as the document's first
 * field: the SHA-256 of the whole stored document with those 64 digits written as zeros. It is
 * checked on the raw bytes, before any parsing, so it depends on no JSON library's formatting and
 * covers fields this walstash does not know (a newer writer's). Readers before it ignore the field
 * (unknown fields are ignored), so older walstash still reads new backups; manifests written
 * before it have no such field and are read unchecked, as before.
 *
 * <p>A document has a checksum when it opens with the field's opening or holds 64 hex digits and
 * a quote where the digits go: one damaged byte leaves one of the two intact, so a flip in the
 * field itself is found like any other and never reads as a manifest without a checksum.
 */
final class ManifestDigest {
    static final String FIELD = "manifestSha256";
    private static final byte[] OPENING = ("{\n  \"" + FIELD + "\" : \"").getBytes(StandardCharsets.US_ASCII);
    private static final int HEX = 64;

    private ManifestDigest() {
    }

    /** {@code json} (a JSON object as {@link BackupManifest#toJson} writes it) with its checksum as first field. */
    static byte[] seal(byte[] json) {
        if (json.length == 0 || json[0] != '{') {
            throw new IllegalArgumentException("a manifest is a JSON object");
        }
        byte[] tail = Arrays.copyOfRange(json, 1, json.length);
        boolean empty = new String(tail, StandardCharsets.UTF_8).strip().equals("}");
        byte[] field = (new String(OPENING, StandardCharsets.US_ASCII) + "0".repeat(HEX) + "\"" + (empty ? "" : ","))
                .getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = new byte[field.length + tail.length];
        System.arraycopy(field, 0, sealed, 0, field.length);
        System.arraycopy(tail, 0, sealed, field.length, tail.length);
        byte[] digest = HexFormat.of().formatHex(digestOf(sealed)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digest, 0, sealed, OPENING.length, HEX);
        return sealed;
    }

    /**
     * Checks a stored manifest's checksum, if it has one; {@code what} names the object.
     *
     * @throws CorruptObjectException when the bytes are not the ones the checksum was taken of
     */
    static void check(byte[] stored, String what) throws CorruptObjectException {
        boolean opening = startsWith(stored, OPENING);
        boolean digits = stored.length > OPENING.length + HEX && isHex(stored, OPENING.length, HEX)
                && stored[OPENING.length + HEX] == '"';
        if (!opening && !digits) {
            return; // written before manifests had a checksum (they open with "formatVersion")
        }
        if (!digits) {
            throw new CorruptObjectException(what + " is damaged: its " + FIELD + " is not 64 hex digits");
        }
        String recorded = new String(stored, OPENING.length, HEX, StandardCharsets.US_ASCII);
        byte[] zeroed = stored.clone();
        Arrays.fill(zeroed, OPENING.length, OPENING.length + HEX, (byte) '0');
        String actual = HexFormat.of().formatHex(digestOf(zeroed));
        if (!actual.equals(recorded)) {
            throw new CorruptObjectException(what + " fails its checksum (" + FIELD + " " + recorded + ", its "
                    + stored.length + " bytes hash to " + actual + "): damaged in storage or on the way");
        }
    }

    private static boolean isHex(byte[] bytes, int from, int count) {
        for (int i = from; i < from + count; i++) {
            if (Character.digit(bytes[i], 16) < 0 || bytes[i] >= 'A' && bytes[i] <= 'F') {
                return false;
            }
        }
        return true;
    }

    private static byte[] digestOf(byte[] bytes) {
        return Digests.sha256().digest(bytes);
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
