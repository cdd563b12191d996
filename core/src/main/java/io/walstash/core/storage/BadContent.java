package io.walstash.core.storage;

/**
 * Marks an {@link java.io.IOException} about the bytes read, not the way they came (a layer beneath
 * the retry layer found them corrupt, such as decryption): reading them again does not help, so the
 * retry layer passes it on instead of resuming.
 */
public interface BadContent {
}
