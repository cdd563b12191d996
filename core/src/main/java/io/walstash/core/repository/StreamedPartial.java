package io.walstash.core.repository;

import io.walstash.core.codec.Codec;
import io.walstash.core.codec.Codecs;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A streamed partial segment: the first {@code length} bytes of a segment that is still being
 * written, as a WAL receiver stored them ({@code stream/<segment>/<length as 8 hex digits>.<codec
 * extension>}, with the same header as a WAL object). They live outside the WAL folders on
 * purpose: a partial is not an archived segment, so listing, verifying, retention and "is this
 * segment archived" never see one. Only a fetch that finds no segment looks here, and the newest
 * (longest) partial of the segment wins. A completed segment is stored as a normal WAL object and
 * its partials are deleted.
 *
 * @param key       the whole stored key
 * @param length    how many bytes of the segment, from its start, the object holds
 * @param extension the codec extension
 */
public record StreamedPartial(String key, SegmentFileName segment, long length, String extension) {
    static final String PREFIX = "stream/";
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    public StreamedPartial {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(segment, "segment");
        Objects.requireNonNull(extension, "extension");
        if (length < 1 || length > WalSegmentSize.MAX_BYTES) {
            throw new IllegalArgumentException("a streamed partial holds 1.." + WalSegmentSize.MAX_BYTES + " bytes, not " + length);
        }
    }

    /** Every streamed partial lives under this prefix. */
    public static String prefix() {
        return PREFIX;
    }

    /** The folder (ending in '/') holding the streamed partials of {@code segment}. */
    public static String folder(SegmentFileName segment) {
        return PREFIX + segment.fileName() + "/";
    }

    /** The key of the first {@code length} bytes of {@code segment} written with {@code codec}. */
    public static String key(SegmentFileName segment, long length, Codec codec) {
        return folder(segment) + HEX.toHexDigits((int) length) + "." + codec.fileExtension();
    }

    /** The partial {@code key} names, or empty for any other key (a stray object is never an error). */
    public static Optional<StreamedPartial> parse(String key) {
        if (!key.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String rest = key.substring(PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash != SegmentFileName.LENGTH || !(WalFileName.isWalFileName(rest.substring(0, slash))
                && WalFileName.parse(rest.substring(0, slash)) instanceof SegmentFileName)) {
            return Optional.empty();
        }
        String leaf = rest.substring(slash + 1);
        int dot = leaf.indexOf('.');
        if (dot != 8 || dot == leaf.length() - 1 || !leaf.substring(0, 8).matches("[0-9A-F]{8}")) {
            return Optional.empty();
        }
        long length = HexFormat.fromHexDigitsToLong(leaf, 0, 8);
        if (length < 1 || length > WalSegmentSize.MAX_BYTES) {
            return Optional.empty();
        }
        return Optional.of(new StreamedPartial(key, SegmentFileName.parse(rest.substring(0, slash)), length,
                leaf.substring(dot + 1)));
    }

    /** The installed codec that reads this object, by its extension. */
    public Optional<Codec> codec(Codecs codecs) {
        return codecs.byExtension(extension);
    }

    /** The streamed partials of {@code segment}, shortest first. */
    public static List<StreamedPartial> of(Storage storage, SegmentFileName segment) throws IOException {
        try (Stream<ObjectInfo> listing = storage.list(folder(segment))) {
            return listing.map(o -> parse(o.key())).flatMap(Optional::stream)
                    .filter(p -> p.segment().equals(segment))
                    .sorted(Comparator.comparingLong(StreamedPartial::length).thenComparing(StreamedPartial::key))
                    .toList();
        }
    }

    /** A streamed partial as listed, with its stored size. */
    public record Listed(StreamedPartial partial, long size) {
    }

    /** Every streamed partial in the repository, of any segment, in key order (retention's view). */
    public static List<Listed> all(Storage storage) throws IOException {
        try (Stream<ObjectInfo> listing = storage.list(PREFIX)) {
            return listing.flatMap(o -> parse(o.key()).map(p -> new Listed(p, o.size())).stream())
                    .sorted(Comparator.comparing(l -> l.partial().key())).toList();
        }
    }

    /** The longest streamed partial of {@code segment} that an installed codec reads. */
    public static Optional<StreamedPartial> newest(Storage storage, SegmentFileName segment, Codecs codecs) throws IOException {
        List<StreamedPartial> all = of(storage, segment);
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).codec(codecs).isPresent()) {
                return Optional.of(all.get(i));
            }
        }
        return Optional.empty();
    }
}
