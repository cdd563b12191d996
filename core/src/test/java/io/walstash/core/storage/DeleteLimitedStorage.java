package io.walstash.core.storage;

import java.io.IOException;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A storage that deletes only the first {@code allowed} keys and then fails every delete, as a run
 * killed half-way would stop: for tests of resumable deletion. Everything else passes through.
 */
public final class DeleteLimitedStorage extends ForwardingStorage {
    private final AtomicInteger remaining;

    public DeleteLimitedStorage(Storage delegate, int allowed) {
        super(delegate);
        this.remaining = new AtomicInteger(allowed);
    }

    /** How many deletes were refused so far is not tracked; whether the limit was reached is. */
    public boolean exhausted() {
        return remaining.get() <= 0;
    }

    @Override
    public void delete(String key) throws IOException {
        if (remaining.getAndDecrement() <= 0) {
            throw new IOException("injected failure: delete of " + key + " refused (delete limit reached)");
        }
        delegate.delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        for (String key : keys) {
            delete(key); // one by one, so that a batch can stop half-way like a real one
        }
    }
}
