package io.walstash.core.archive;

import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.io.BlockFilterInputStream;
import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.RetryingStorage;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.StorageFailure;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs a fetch against storage with a time limit per attempt and retries transient failures
 * (storage unreachable, a service error, an attempt that ran out of time) with doubling backoff.
 * A slow request must not hold up recovery, and one dropped connection must not end it:
 * PostgreSQL takes any failed restore_command as the end of the archive.
 *
 * <p>The time limit is enforced by closing the storage streams the attempt opened and
 * interrupting its thread: a blocked socket read then fails, and the attempt's own cleanup
 * (temporary files) runs before the next attempt starts, so no late attempt can place a file.
 */
public final class FetchRetry implements Closeable {
    public static final Duration DEFAULT_OUTAGE_WAIT = CoreSettings.FETCH_OUTAGE_WAIT.defaultValue();
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    /** The longest pause between two tries while waiting out an outage: storage that is back is seen soon. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(15);

    /** One try: reads storage only through the {@code storage} given, so the deadline can stop it. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run(Storage storage) throws IOException;
    }

    private final Storage storage;
    /** The tries and backoff, as the one retry policy; {@link #callWaitingOutOutage} adds a total budget. */
    private final RetryPolicy policy;
    private final Duration timeout;
    private final Duration outageWait;
    private final Consumer<String> warnings;
    private final ThreadPools pools = new ThreadPools();
    private final ScheduledExecutorService watchdog = pools.ownedScheduled("walstash-fetch-deadline");

    public FetchRetry(Storage storage, int attempts, Duration timeout, Duration firstBackoff) {
        this(storage, attempts, timeout, firstBackoff, Duration.ZERO, line -> { });
    }

    /**
     * @param outageWait how long {@link #callWaitingOutOutage} keeps trying after the ordinary tries
     *                   failed transiently
     * @param warnings   receives one line per try after the first of a call that waits out an outage
     */
    public FetchRetry(Storage storage, int attempts, Duration timeout, Duration firstBackoff, Duration outageWait,
                      Consumer<String> warnings) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the time limit per attempt must be positive, not " + timeout);
        }
        if (outageWait.isNegative()) {
            throw new IllegalArgumentException(CoreSettings.FETCH_OUTAGE_WAIT.name() + " must not be negative, not " + outageWait);
        }
        this.policy = new RetryPolicy(attempts - 1, firstBackoff, MAX_BACKOFF, timeout, false, Duration.ZERO);
        // the storage's own retry layer would multiply these tries: under a fetch it only times calls
        this.storage = RetryingStorage.withPolicy(storage, new RetryPolicy(0, Duration.ZERO, Duration.ZERO, timeout),
                RetryPolicy.Listener.QUIET);
        this.timeout = timeout;
        this.outageWait = outageWait;
        this.warnings = warnings;
    }

    /** As below, with no warnings. */
    public static FetchRetry configured(Storage storage, Settings settings) {
        return configured(storage, settings, line -> { });
    }

    /**
     * The one retry policy ({@code WALSTASH_RETRIES}, {@code WALSTASH_REQUEST_TIMEOUT}): retries + 1
     * tries of at most the request timeout each. {@code WALSTASH_FETCH_ATTEMPTS} and
     * {@code WALSTASH_FETCH_TIMEOUT} are deprecated settings that still win when set. While waiting out
     * an outage, tries go on for {@code WALSTASH_FETCH_OUTAGE_WAIT} (default 5 minutes).
     */
    public static FetchRetry configured(Storage storage, Settings settings, Consumer<String> warnings) {
        RetryPolicy policy = RetryPolicy.from(settings);
        int attempts = CoreSettings.FETCH_ATTEMPTS.find(settings).orElse(policy.retries() + 1);
        Duration timeout = CoreSettings.FETCH_TIMEOUT.find(settings).orElse(policy.timeout());
        Duration outageWait = CoreSettings.FETCH_OUTAGE_WAIT.get(settings);
        return new FetchRetry(storage, attempts, timeout, FIRST_BACKOFF, outageWait, warnings);
    }

    /** The configured outage wait ({@code WALSTASH_FETCH_OUTAGE_WAIT}). */
    public Duration outageWait() {
        return outageWait;
    }

    /**
     * Runs {@code attempt} until it succeeds, fails for good, or the tries are used up (then its
     * last failure). A corrupt object, or one that vanished between listing and reading, is
     * downloaded once more before it counts: a broken transfer or a concurrent replacement must
     * not count as a damaged repository.
     */
    public <T> T call(String what, Attempt<T> attempt) throws IOException {
        return call(what, Duration.ZERO, attempt);
    }

    /**
     * As {@link #call}, but when storage stays unreachable (or keeps answering with service errors)
     * after the ordinary tries, keeps trying, with backoff and one warning line per try, until
     * {@link #outageWait()} has passed since the first failure: for a fetch whose failure would
     * stop a recovery, since an outage during a restore is often short.
     */
    public <T> T callWaitingOutOutage(String what, Attempt<T> attempt) throws IOException {
        return call(what, outageWait, attempt);
    }

    private <T> T call(String what, Duration patience, Attempt<T> attempt) throws IOException {
        // the one retry policy decides (classification, backoff, budget); this loop only adds the
        // deadline on the caller's thread, so an attempt's cleanup runs before the next one starts
        RetryPolicy.Budget budget = policy.withBudget(patience).budget(RetryPolicy.Timing.SYSTEM,
                patience.isZero() ? RetryPolicy.Listener.QUIET : (tried, failure, nextTry, pause) -> warnings.accept(
                        "walstash: warning: " + what + ": " + firstLine(failure) + "; try " + nextTry + " in "
                                + pause.toMillis() + " ms (waiting up to " + patience.toSeconds() + " s for storage, "
                                + CoreSettings.FETCH_OUTAGE_WAIT.name() + ")"));
        boolean fetchedAgain = false;
        while (true) {
            Deadline deadline = new Deadline(Thread.currentThread());
            ScheduledFuture<?> alarm = watchdog.schedule(deadline::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
            IOException failure;
            try {
                return attempt.run(deadline.guard(storage));
            } catch (IOException e) {
                failure = deadline.expired() ? new StorageFailure(StorageFailure.Reason.UNREACHABLE,
                        "no complete answer from " + storage.location() + " within " + timeout.toSeconds()
                                + " s for " + what, e) : e;
            } finally {
                alarm.cancel(false);
                deadline.disarm();
            }
            if (!fetchedAgain && isWorthOneMoreDownload(failure)) {
                fetchedAgain = true;
                continue;
            }
            budget.retryOrThrow(what, failure);
        }
    }

    private static String firstLine(IOException failure) {
        String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        return message.lines().findFirst().orElse(message);
    }

    /** A failure one fresh download may cure: damaged bytes in transit, or an object replaced meanwhile. */
    static boolean isWorthOneMoreDownload(IOException failure) {
        return failure instanceof CorruptObjectException || failure instanceof NoSuchObjectException;
    }

    @Override
    public void close() {
        pools.close();
    }

    /** One attempt's time limit: what it opened, to close when the time is up. */
    private static final class Deadline {
        private final Thread thread;
        private final List<Closeable> opened = new ArrayList<>();
        private boolean expired;
        private boolean disarmed;

        Deadline(Thread thread) {
            this.thread = thread;
        }

        synchronized boolean expired() {
            return expired;
        }

        synchronized void expire() {
            if (disarmed) {
                return;
            }
            expired = true;
            for (Closeable c : opened) {
                try {
                    c.close();
                } catch (IOException | RuntimeException ignored) {
                    // closing is only to unblock a read; the attempt reports the failure
                }
            }
            thread.interrupt();
        }

        /** After the attempt: no more closing, and an interrupt the deadline caused is not passed on. */
        synchronized void disarm() {
            disarmed = true;
            if (expired) {
                Thread.interrupted();
            }
        }

        synchronized <C extends Closeable> C register(C closeable) throws IOException {
            if (expired) {
                closeable.close();
                throw new InterruptedIOException("time is up");
            }
            opened.add(closeable);
            return closeable;
        }

        Storage guard(Storage storage) {
            return new GuardedStorage(storage, this);
        }
    }

    /**
     * The storage an attempt sees: every stream it opens is closed when the attempt's time is up, and
     * a read that fails midway is reported as a storage failure worth retrying (a reset connection),
     * not as the local I/O error it would otherwise look like. Closing it leaves the storage open.
     */
    private record GuardedStorage(Storage storage, Deadline deadline) implements Storage {
        @Override
        public URI location() {
            return storage.location();
        }

        @Override
        public boolean createIfAbsent(String key, InputStream content) {
            throw new UnsupportedOperationException("a fetch does not write to storage");
        }

        @Override
        public InputStream read(String key) throws IOException {
            return deadline.register(new ReadFailures(storage.read(key), key));
        }

        @Override
        public InputStream readRange(String key, long offset, long length) throws IOException {
            return deadline.register(new ReadFailures(storage.readRange(key, offset, length), key));
        }

        @Override
        public Optional<ObjectInfo> stat(String key) throws IOException {
            return storage.stat(key);
        }

        @Override
        public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
            Stream<ObjectInfo> listing = storage.list(keyPrefix);
            deadline.register(listing::close);
            return listing;
        }

        @Override
        public void delete(String key) {
            throw new UnsupportedOperationException("a fetch does not delete from storage");
        }

        @Override
        public void close() {
        }
    }

    private static final class ReadFailures extends BlockFilterInputStream {
        private final String key;

        ReadFailures(InputStream in, String key) {
            super(in);
            this.key = key;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                throw translate(e);
            }
        }

        private IOException translate(IOException e) {
            // a corrupt object is what decryption beneath (encryption at rest) finds in the bytes, no outage
            if (e instanceof StorageFailure || e instanceof NoSuchObjectException || e instanceof CorruptObjectException) {
                return e;
            }
            return new StorageFailure(StorageFailure.Reason.UNREACHABLE, "reading " + key + " failed midway: "
                    + e.getMessage(), e);
        }

        @Override
        public String toString() {
            return "Guarded(" + in + ")";
        }
    }
}
