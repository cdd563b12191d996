package io.walstash.core.storage;

import io.walstash.core.io.BlockInputStream;
import io.walstash.core.io.CountingInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The one retry layer: every call to the storage under it runs under one {@link RetryPolicy}
 * (attempts, backoff, per-attempt timeout, optional total budget) and one classification of
 * transient failures ({@link RetryPolicy#isTransient}). {@link Storages#open} applies it, so every
 * command and the daemon get it; the adapters' SDKs are set not to retry on their own.
 *
 * <ul>
 * <li>Creates: content given as {@link Storage.Content} is opened afresh for each attempt. A create
 * retried after a failure may find the object already there, stored by the attempt that seemed to
 * fail: it then counts as created when the stored bytes equal the content (so a caller's
 * "already exists" means someone else's object, never our own upload that lost its answer).
 * Content given as a stream is retried only while nothing of it was read (or when it is an
 * in-memory {@link ByteArrayInputStream}), since it cannot be read twice. {@link LargeContent}
 * (a backup's files) is opened afresh for each attempt too, with no per-attempt time limit.</li>
 * <li>Reads: a stream that fails midway resumes with a range read from the byte it reached, drawing
 * on the budget its opening started, so a truncated download is retried instead of reaching the
 * decoder as damaged bytes.</li>
 * <li>Checked reads ({@link #readChecked}): bytes the reader finds damaged ({@link BadContent}) are
 * downloaded once more, whole, before the damage counts: a byte flipped in flight is a fault of
 * the transfer; a byte flipped at rest fails the second read as well.</li>
 * <li>Stat, list (its opening), delete and batch delete are retried whole; they are idempotent.</li>
 * </ul>
 */
public class RetryingStorage extends ForwardingStorage {
    /** Keys per attempt of {@link #deleteAll}: S3's batch limit is 1000; far fewer single deletes fit a timeout. */
    static final int DELETE_BATCH = 250;
    private static final Duration UNLIMITED = Duration.ofNanos(Long.MAX_VALUE);
    private final RetryPolicy policy;
    private final RetryPolicy.Timing timing;
    private final RetryPolicy.Listener warnings;
    private final boolean owner;

    public RetryingStorage(Storage delegate, RetryPolicy policy, RetryPolicy.Timing timing, RetryPolicy.Listener warnings) {
        this(delegate, policy, timing, warnings, true);
    }

    private RetryingStorage(Storage delegate, RetryPolicy policy, RetryPolicy.Timing timing, RetryPolicy.Listener warnings,
                            boolean owner) {
        super(delegate);
        this.policy = policy;
        this.timing = timing;
        this.warnings = warnings;
        this.owner = owner;
    }

    /**
     * {@code storage} under {@code policy}, quietly; storage already retrying keeps its layer (no
     * doubling). A storage that can create its bucket still can (retried as well).
     */
    public static Storage wrap(Storage storage, RetryPolicy policy) {
        if (storage instanceof RetryingStorage retrying) {
            return retrying;
        }
        if (storage instanceof CreatesBucket) {
            return new WithBucket(storage, policy);
        }
        return new RetryingStorage(storage, policy, RetryPolicy.Timing.SYSTEM, RetryPolicy.Listener.QUIET);
    }

    /** Keeps {@link CreatesBucket} visible through the layer, for {@code check --create-bucket}. */
    private static final class WithBucket extends RetryingStorage implements CreatesBucket {
        WithBucket(Storage storage, RetryPolicy policy) {
            super(storage, policy, RetryPolicy.Timing.SYSTEM, RetryPolicy.Listener.QUIET);
        }

        @Override
        public boolean createBucketIfMissing() throws IOException {
            CreatesBucket creates = (CreatesBucket) delegate();
            return budget().call("create bucket", abandon -> creates.createBucketIfMissing());
        }

        @Override
        public UploadCleanup abortIncompleteUploads(int days) throws IOException {
            CreatesBucket creates = (CreatesBucket) delegate();
            return budget().call("set the bucket's lifecycle rule", abandon -> creates.abortIncompleteUploads(days));
        }

        @Override
        public Versioning versioning() throws IOException {
            CreatesBucket creates = (CreatesBucket) delegate();
            return budget().call("read the bucket's versioning", abandon -> creates.versioning());
        }
    }

    Storage delegate() {
        return delegate;
    }

    /** The adapter's storage under the layer (what a provider opened). */
    public Storage underlying() {
        return delegate;
    }

    /**
     * A view of the same storage under another policy (archive recovery's longer outage budget, or
     * none for a caller that limits its own attempts), reporting each retry to {@code warnings}.
     * Closing the view leaves the storage open.
     */
    public static Storage withPolicy(Storage storage, RetryPolicy policy, RetryPolicy.Listener warnings) {
        Storage raw = storage instanceof RetryingStorage retrying ? retrying.delegate : storage;
        RetryPolicy.Timing timing = storage instanceof RetryingStorage retrying ? retrying.timing : RetryPolicy.Timing.SYSTEM;
        return new RetryingStorage(raw, policy, timing, warnings, false);
    }

    /** The policy this storage retries with. */
    public RetryPolicy policy() {
        return policy;
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        if (content instanceof ByteArrayInputStream bytes) {
            byte[] all = bytes.readAllBytes();
            return createIfAbsent(key, () -> new ByteArrayInputStream(all));
        }
        // read once only: an attempt after bytes were taken would upload a tail as the whole object.
        // Such content is a backup's file of any size, so its upload has no time limit (as before
        // the layer): only a failure before anything was sent is retried.
        CountingInputStream counted = new CountingInputStream(content);
        AtomicInteger attempts = new AtomicInteger();
        return policy.withTimeout(UNLIMITED).budget(timing, warnings).call("create " + key, abandon -> {
            if (attempts.incrementAndGet() > 1 && counted.count() > 0) {
                throw new IOException("create " + key + ": not tried again, " + counted.count()
                        + " bytes of its content were already sent and cannot be read twice");
            }
            abandon.register(counted);
            return delegate.createIfAbsent(key, new FilterInputStream(counted) {
                @Override
                public void close() {
                    // the caller owns the content; a failed attempt must not end it for the next one
                }
            });
        });
    }

    @Override
    public boolean createIfAbsent(String key, Content content) throws IOException {
        AtomicInteger attempts = new AtomicInteger();
        RetryPolicy.Budget budget = content instanceof LargeContent
                ? policy.withTimeout(UNLIMITED).budget(timing, warnings) : budget();
        return budget.call("create " + key, abandon -> {
            boolean retry = attempts.incrementAndGet() > 1;
            boolean created;
            try (InputStream in = content.open()) {
                abandon.register(in);
                created = delegate.createIfAbsent(key, in);
            }
            // an earlier attempt may have stored the object and only lost the answer: ours if same bytes
            return created || retry && sameBytes(key, content, abandon);
        });
    }

    private boolean sameBytes(String key, Content content, RetryPolicy.Abandon abandon) throws IOException {
        try (InputStream stored = delegate.read(key); InputStream ours = content.open()) {
            abandon.register(stored);
            abandon.register(ours);
            byte[] a = new byte[64 * 1024];
            byte[] b = new byte[a.length];
            while (true) {
                int n = stored.readNBytes(a, 0, a.length);
                int m = ours.readNBytes(b, 0, b.length);
                if (n != m || !Arrays.equals(a, 0, n, b, 0, m)) {
                    return false;
                }
                if (n < a.length) {
                    return true;
                }
            }
        } catch (NoSuchObjectException gone) {
            return false;
        }
    }

    @Override
    public InputStream read(String key) throws IOException {
        RetryPolicy.Budget budget = budget();
        InputStream first = budget.call("read " + key, abandon -> opened(abandon, delegate.read(key)));
        return new Resuming(key, 0, -1, first, budget);
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        RetryPolicy.Budget budget = budget();
        InputStream first = budget.call("read " + key, abandon -> opened(abandon, delegate.readRange(key, offset, length)));
        return new Resuming(key, offset, length, first, budget);
    }

    @Override
    public <T> T readChecked(String key, Reader<T> reader) throws IOException {
        try {
            return super.readChecked(key, reader);
        } catch (IOException e) {
            if (!(e instanceof BadContent)) {
                throw e;
            }
            return super.readChecked(key, reader); // one fresh download: see the class comment
        }
    }

    private static InputStream opened(RetryPolicy.Abandon abandon, InputStream in) {
        abandon.register(in);
        return in;
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        return budget().call("stat " + key, abandon -> delegate.stat(key));
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        return budget().call("list " + keyPrefix, abandon -> {
            Stream<ObjectInfo> listing = delegate.list(keyPrefix);
            abandon.register(listing::close);
            return listing;
        });
    }

    @Override
    public void delete(String key) throws IOException {
        budget().call("delete " + key, abandon -> {
            delegate.delete(key);
            return null;
        });
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        // in batches, each one attempt: a backend without a batch API deletes one by one, and a
        // retention run of thousands of objects must not be one request under one timeout
        List<String> all = List.copyOf(keys);
        for (int from = 0; from < all.size(); from += DELETE_BATCH) {
            List<String> batch = all.subList(from, Math.min(all.size(), from + DELETE_BATCH));
            budget().call("delete " + batch.size() + " objects", abandon -> {
                delegate.deleteAll(batch);
                return null;
            });
        }
    }

    @Override
    public void close() throws IOException {
        if (owner) {
            delegate.close();
        }
    }

    @Override
    public String toString() {
        return delegate.toString(); // messages name the storage, not the layer
    }

    RetryPolicy.Budget budget() {
        return policy.budget(timing, warnings);
    }

    /**
     * A download that, when the connection fails midway, opens the rest of the object with a range
     * read from the byte reached and goes on, within the budget of the request that opened it.
     */
    private final class Resuming extends BlockInputStream {
        private final String key;
        private final long start;
        /** Bytes asked for, or -1 for the whole object. */
        private final long length;
        private final RetryPolicy.Budget budget;
        private InputStream in;
        private long position;
        private volatile boolean closed;

        Resuming(String key, long start, long length, InputStream in, RetryPolicy.Budget budget) {
            this.key = key;
            this.start = start;
            this.length = length;
            this.in = in;
            this.budget = budget;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                try {
                    int n = in.read(b, off, len);
                    if (n > 0) {
                        position += n;
                    }
                    return n;
                } catch (IOException e) {
                    resume(e);
                }
            }
        }

        private void resume(IOException e) throws IOException {
            if (closed || e instanceof NoSuchObjectException || e instanceof BadContent
                    || e instanceof StorageFailure && !RetryPolicy.isTransient(e)
                    || e instanceof InterruptedIOException || Thread.currentThread().isInterrupted()) {
                throw e;
            }
            // whatever broke a storage stream midway (a reset connection, a body cut short) is the
            // storage's, and worth another try: not the local I/O error it would otherwise look like
            IOException failure = e instanceof StorageFailure ? e : new StorageFailure(StorageFailure.Reason.UNREACHABLE,
                    "reading " + key + " failed at byte " + position + ": " + e.getMessage(), e);
            try {
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // the broken stream is replaced
            }
            budget.retryOrThrow("read " + key, failure);
            in = budget.call("resume " + key + " at byte " + position, abandon -> opened(abandon, rest()));
        }

        private InputStream rest() throws IOException {
            long remaining;
            if (length >= 0) {
                remaining = length - position;
            } else {
                // the whole object was asked for: its size says how much is left
                long size = delegate.stat(key).orElseThrow(() -> new NoSuchObjectException(key)).size();
                remaining = size - start - position;
            }
            return remaining <= 0 ? InputStream.nullInputStream() : delegate.readRange(key, start + position, remaining);
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public void close() throws IOException {
            closed = true;
            in.close();
        }
    }
}
