/**
 * walstash's codecs, found through {@link java.util.ServiceLoader} as
 * {@link io.walstash.core.codec.Codec}s: zstd, lz4, gzip, xz, lzma (.lzma), brotli and none.
 *
 * <p>Every codec follows one contract: closing the compressing stream finishes the format and
 * closes the target; closing the decompressing stream closes the source; empty input round-trips;
 * truncated or corrupt input fails with an {@link java.io.IOException}, never a runtime exception
 * or silently short data (lzma and brotli carry no checksum, so a changed byte can decode to
 * changed data there). Native libraries load on first use, not when a codec is created.
 */
package io.walstash.compression;
