package io.walstash.core.storage;

/**
 * Marks an {@link java.io.IOException} about the bytes read, not the way they came (a layer beneath
 * the retry layer found them corrupt, such as decryption): resuming the read does not help, so the
 * retry layer passes it on instead of resuming. A whole fresh download may (the bytes may have been
 * damaged on the way): {@link Storage#readChecked} under the retry layer tries one.
 */
public interface BadContent {
}
