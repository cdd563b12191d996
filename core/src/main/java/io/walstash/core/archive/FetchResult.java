package io.walstash.core.archive;

/** What {@link WalArchive#fetch} found for one name. */
public sealed interface FetchResult permits FetchResult.Fetched, FetchResult.NotFound {

    /**
     * Placed at the destination. {@code verified} is false only for objects without a walstash
     * header (written by WAL-G), whose content has no recorded checksum to compare.
     * {@code prefetched} says the bytes came from the prefetch directory rather than storage.
     */
    record Fetched(String key, long plainBytes, boolean verified, boolean prefetched) implements FetchResult {
        public Fetched(String key, long plainBytes, boolean verified) {
            this(key, plainBytes, verified, false);
        }

        Fetched asPrefetched() {
            return new Fetched(key, plainBytes, verified, true);
        }
    }

    /** No object of that name in the archive; PostgreSQL takes this as the end of the archive. */
    record NotFound(String name) implements FetchResult {
    }
}
