package io.walstash.core.storage;

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
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a storage request with a time limit and retries it, with exponential backoff and jitter,
 * when it fails for a reason that may pass (endpoint unreachable, a service error, no answer in
 * time). The request must be replayable: each attempt opens its input afresh.
 *
 * <p>Each attempt runs on a thread of its own so that a request that hangs can be abandoned: when
 * the time is up, whatever the attempt registered with its {@link Abandon} (the input being
 * uploaded) is closed and the thread is interrupted, and the next attempt starts. An abandoned
 * upload may still complete later; retried requests are idempotent (create-if-absent, then compare),
 * so that is harmless.
 *
 * @param retries  attempts after the first one
 * @param base     the first backoff; each later one doubles, up to {@code maxDelay}
 * @param timeout  the most one attempt may take
 */
public record RetryPolicy(int retries, Duration base, Duration maxDelay, Duration timeout) {
    public static final int DEFAULT_RETRIES = CoreSettings.RETRIES.defaultValue();
    public static final Duration DEFAULT_BASE = CoreSettings.RETRY_BASE.defaultValue();
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);
    public static final Duration DEFAULT_TIMEOUT = CoreSettings.REQUEST_TIMEOUT.defaultValue();

    public RetryPolicy {
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative: " + retries);
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("the request timeout must be positive: " + timeout);
        }
    }

    /** {@code WALSTASH_RETRIES} (default 3), {@code WALSTASH_RETRY_BASE} (1s), {@code WALSTASH_REQUEST_TIMEOUT} (120s). */
    public static RetryPolicy from(Settings settings) {
        return new RetryPolicy(CoreSettings.RETRIES.get(settings), CoreSettings.RETRY_BASE.get(settings), DEFAULT_MAX_DELAY,
                CoreSettings.REQUEST_TIMEOUT.get(settings));
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
     * Runs {@code attempt} until it succeeds, fails for good, or the retries are spent; then throws
     * the last failure (a timeout as a {@link StorageFailure} with reason {@code UNREACHABLE}).
     *
     * @param what names the request in messages, such as "push 000000010000000000000003"
     */
    public <T> T call(String what, Attempt<T> attempt) throws IOException {
        IOException last = null;
        for (int n = 0; n <= retries; n++) {
            if (n > 0) {
                backoff(n);
            }
            try {
                return once(what, attempt);
            } catch (IOException e) {
                if (!isTransient(e) || e instanceof InterruptedIOException && Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                if (last != null && e != last) {
                    e.addSuppressed(last);
                }
                last = e;
            }
        }
        if (retries == 0) {
            throw last;
        }
        throw new StorageFailure(reasonOf(last), what + " failed " + (retries + 1) + " times; last: "
                + firstLine(last.getMessage()), last);
    }

    private <T> T once(String what, Attempt<T> attempt) throws IOException {
        Abandon abandon = new Abandon();
        FutureTask<T> task = new FutureTask<>(() -> attempt.run(abandon));
        Thread worker = new Thread(task, "walstash-request");
        worker.setDaemon(true); // an abandoned request must not keep the process alive
        worker.start();
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

    private void backoff(int retry) throws InterruptedIOException {
        long ceiling = Math.min(maxDelay.toMillis(), base.toMillis() << Math.min(retry - 1, 20));
        // "equal jitter": at least half the delay, so retries still back off, spread so that
        // several pushers that failed together do not come back together
        long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        try {
            Thread.sleep(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to retry");
        }
    }

    /** The longest {@link #call} can take: every attempt timing out, every backoff at its ceiling. */
    public Duration worstCase() {
        Duration total = timeout.multipliedBy(retries + 1L);
        for (int n = 1; n <= retries; n++) {
            total = total.plusMillis(Math.min(maxDelay.toMillis(), base.toMillis() << Math.min(n - 1, 20)));
        }
        return total;
    }

    /**
     * Whether {@code failure} may pass if tried again: storage unreachable or timing out, or a
     * service error. Not: a conflict, a corrupt or changed local file, a foreign repository,
     * missing credentials or access denied, which the same request would meet again.
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
