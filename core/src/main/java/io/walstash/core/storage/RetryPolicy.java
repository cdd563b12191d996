package io.walstash.core.storage;

import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The one retry policy of walstash: runs a storage request with a time limit and retries it, with
 * exponential backoff and (optionally) jitter, when it fails for a reason that may pass (endpoint
 * unreachable, a service error, no answer in time). {@link RetryingStorage} applies it to every
 * storage call; the SDKs under it are set not to retry, so this is the whole budget.
 *
 * <p>Each attempt runs on a thread of its own so that a request that hangs can be abandoned: when
 * the time is up, whatever the attempt registered with its {@link Abandon} (the input being
 * uploaded, the stream being read) is closed and the thread is interrupted, and the next attempt
 * starts. An abandoned upload may still complete later; creates are create-if-absent and a retry
 * that finds the object compares it (see {@link RetryingStorage}), so that is harmless.
 *
 * @param retries  attempts after the first one
 * @param base     the first backoff; each later one doubles, up to {@code maxDelay}
 * @param timeout  the most one attempt may take
 * @param jitter   whether each backoff is spread between half and all of its ceiling, so that
 *                 several clients that failed together do not come back together
 * @param budget   zero, or how long to go on retrying transient failures after the
 *                 {@code retries} are spent, counted from the first attempt (archive recovery waits
 *                 out an outage this way)
 */
public record RetryPolicy(int retries, Duration base, Duration maxDelay, Duration timeout, boolean jitter,
                          Duration budget) {
    public static final int DEFAULT_RETRIES = CoreSettings.RETRIES.defaultValue();
    public static final Duration DEFAULT_BASE = CoreSettings.RETRY_BASE.defaultValue();
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);
    public static final Duration DEFAULT_TIMEOUT = CoreSettings.REQUEST_TIMEOUT.defaultValue();
    /**
     * The threads time-limited attempts run on: daemon threads, since an abandoned request must not
     * keep the process alive; reused, since a restore makes a request per object and starting a
     * thread for each (a thousand for a small cluster) showed in its CPU time. An abandoned attempt
     * keeps its thread until it returns; the next one then runs on another.
     */
    private static final ExecutorService REQUESTS = ThreadPools.reused("walstash-request");

    public RetryPolicy {
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative: " + retries);
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("the request timeout must be positive: " + timeout);
        }
        if (base.isNegative() || maxDelay.isNegative() || budget.isNegative()) {
            throw new IllegalArgumentException("backoff and budget must not be negative");
        }
    }

    /** With jitter and no budget beyond the retries. */
    public RetryPolicy(int retries, Duration base, Duration maxDelay, Duration timeout) {
        this(retries, base, maxDelay, timeout, true, Duration.ZERO);
    }

    /** {@code WALSTASH_RETRIES} (default 3), {@code WALSTASH_RETRY_BASE} (1s), {@code WALSTASH_REQUEST_TIMEOUT} (120s). */
    public static RetryPolicy from(Settings settings) {
        return new RetryPolicy(CoreSettings.RETRIES.get(settings), CoreSettings.RETRY_BASE.get(settings), DEFAULT_MAX_DELAY,
                CoreSettings.REQUEST_TIMEOUT.get(settings));
    }

    /** This policy, going on retrying transient failures until {@code budget} has passed. */
    public RetryPolicy withBudget(Duration budget) {
        return new RetryPolicy(retries, base, maxDelay, timeout, jitter, budget);
    }

    /** This policy with {@code timeout} per attempt. */
    public RetryPolicy withTimeout(Duration timeout) {
        return new RetryPolicy(retries, base, maxDelay, timeout, jitter, budget);
    }

    /** The clock and the pause between attempts: real ones in use, instant ones in property tests. */
    public interface Timing {
        Timing SYSTEM = new Timing() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleep(Duration pause) throws InterruptedException {
                Thread.sleep(pause.toMillis(), (int) (pause.toNanos() % 1_000_000));
            }
        };

        long nanoTime();

        void sleep(Duration pause) throws InterruptedException;
    }

    /** Told of each retry before its pause: warnings, such as archive recovery's line per try. */
    @FunctionalInterface
    public interface Listener {
        Listener QUIET = (what, failure, nextTry, pause) -> { };

        void retrying(String what, IOException failure, int nextTry, Duration pause);

        /** One line per retry: "walstash: warning: WHAT: FAILURE; try N in P ms". */
        static Listener lines(Consumer<String> out) {
            return (what, failure, nextTry, pause) -> out.accept("walstash: warning: " + what + ": "
                    + firstLine(failure.getMessage()) + "; try " + nextTry + " in " + pause.toMillis() + " ms");
        }
    }

    /** One storage request, run once per attempt. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run(Abandon abandon) throws IOException;
    }

    /** What an attempt opened and that must be closed should the attempt be abandoned. */
    public static final class Abandon {
        private final List<Closeable> resources = new ArrayList<>();
        private boolean abandoned;

        /** Registers {@code resource}; closes it at once if the attempt was already abandoned. */
        public void register(Closeable resource) {
            boolean closeNow;
            synchronized (this) {
                closeNow = abandoned;
                if (!closeNow) {
                    resources.add(resource);
                }
            }
            if (closeNow) {
                closeQuietly(resource);
            }
        }

        private void abandon() {
            List<Closeable> toClose;
            synchronized (this) {
                abandoned = true;
                toClose = List.copyOf(resources);
                resources.clear();
            }
            toClose.forEach(Abandon::closeQuietly);
        }

        private static void closeQuietly(Closeable resource) {
            try {
                resource.close();
            } catch (IOException | RuntimeException ignored) {
                // the attempt is being given up; its own failure, if any, is not reported
            }
        }
    }

    /**
     * The attempts and time one logical request has used: a read that resumes after a failure
     * midway draws on the budget its opening started, so a flaky download cannot retry forever.
     */
    public final class Budget {
        private final Timing timing;
        private final Listener listener;
        private final long started;
        private int failures;

        private Budget(Timing timing, Listener listener) {
            this.timing = timing;
            this.listener = listener;
            this.started = timing.nanoTime();
        }

        /** Runs {@code attempt} under what is left of this budget. */
        public <T> T call(String what, Attempt<T> attempt) throws IOException {
            return RetryPolicy.this.call(what, attempt, this);
        }

        /**
         * After {@code failure}: waits for the next attempt and returns normally when one is left,
         * otherwise throws (the failure itself, or one that says how often it was tried).
         */
        public void retryOrThrow(String what, IOException failure) throws IOException {
            if (!isTransient(failure) || failure instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
                throw failure;
            }
            failures++;
            long left = started + budget.toNanos() - timing.nanoTime();
            boolean beyondRetries = failures > retries;
            if (beyondRetries && left <= 0) {
                if (failures == 1) {
                    throw failure;
                }
                throw new StorageFailure(reasonOf(failure), what + " failed " + failures + " times; last: "
                        + firstLine(failure.getMessage()), failure);
            }
            Duration pause = backoff(failures);
            if (beyondRetries && pause.toNanos() > left) {
                pause = Duration.ofNanos(left);
            }
            listener.retrying(what, failure, failures + 1, pause);
            try {
                timing.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting to retry " + what);
            }
        }

        /** How many attempts have failed so far. */
        public int failures() {
            return failures;
        }
    }

    /** A fresh budget for one logical request; {@code listener} is told of each retry. */
    public Budget budget(Timing timing, Listener listener) {
        return new Budget(timing, listener);
    }

    /**
     * Runs {@code attempt} until it succeeds, fails for good, or the retries are spent; then throws
     * the last failure (a timeout as a {@link StorageFailure} with reason {@code UNREACHABLE}).
     *
     * @param what names the request in messages, such as "push 000000010000000000000003"
     */
    public <T> T call(String what, Attempt<T> attempt) throws IOException {
        return call(what, attempt, budget(Timing.SYSTEM, Listener.QUIET));
    }

    private <T> T call(String what, Attempt<T> attempt, Budget budget) throws IOException {
        IOException last = null;
        while (true) {
            try {
                return once(what, attempt);
            } catch (IOException e) {
                if (last != null && e != last && isTransient(e)) {
                    e.addSuppressed(last);
                }
                last = e;
                budget.retryOrThrow(what, e);
            }
        }
    }

    private <T> T once(String what, Attempt<T> attempt) throws IOException {
        Abandon abandon = new Abandon();
        FutureTask<T> task = new FutureTask<>(() -> attempt.run(abandon));
        REQUESTS.execute(task);
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandon.abandon();
            task.cancel(true);
            throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, what + ": no answer within "
                    + describe(timeout) + " (" + CoreSettings.REQUEST_TIMEOUT.name() + ")");
        } catch (InterruptedException e) {
            abandon.abandon();
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + ": interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(what + ": " + cause, cause);
        }
    }

    /** The pause before retry number {@code retry} (1 for the first). */
    Duration backoff(int retry) {
        long ceiling = ceiling(retry);
        if (!jitter) {
            return Duration.ofMillis(ceiling);
        }
        // "equal jitter": at least half the delay, so retries still back off, spread so that
        // several pushers that failed together do not come back together
        return Duration.ofMillis(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1));
    }

    private long ceiling(int retry) {
        return Math.min(maxDelay.toMillis(), base.toMillis() << Math.min(retry - 1, 20));
    }

    /**
     * The longest {@link #call} can take: every attempt timing out, every backoff at its ceiling,
     * and with a budget, one more backoff and attempt started just before it ran out.
     */
    public Duration worstCase() {
        Duration total = timeout.multipliedBy(retries + 1L);
        for (int n = 1; n <= retries; n++) {
            total = total.plusMillis(ceiling(n));
        }
        if (!budget.isZero()) {
            total = max(total, budget.plus(timeout).plus(maxDelay));
        }
        return total;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * Whether {@code failure} may pass if tried again: storage unreachable or timing out, or a
     * service error. Not: a conflict, a corrupt or changed local file, a foreign repository,
     * missing credentials or access denied, which the same request would meet again. This is the
     * one classification; adapters express what they see as a {@link StorageFailure} reason.
     */
    public static boolean isTransient(Throwable failure) {
        if (failure instanceof StorageFailure storage) {
            return storage.reason() == StorageFailure.Reason.UNREACHABLE
                    || storage.reason() == StorageFailure.Reason.SERVICE_ERROR;
        }
        return failure instanceof ConnectException || failure instanceof SocketTimeoutException;
    }

    private static StorageFailure.Reason reasonOf(IOException failure) {
        return failure instanceof StorageFailure storage ? storage.reason() : StorageFailure.Reason.UNREACHABLE;
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse(message);
    }

    private static String describe(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
