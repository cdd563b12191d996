package io.walstash.core.backup;

import io.walstash.core.concurrent.Failures;
import io.walstash.core.concurrent.ThreadPools;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * File I/O tasks on a fixed number of daemon threads, some depending on others. {@link #awaitAll}
 * fails with the first failure; closing stops what still runs and waits (bounded) until it has
 * stopped, so that a caller cleaning up after a failure does not race a task still writing.
 */
final class Tasks implements AutoCloseable {
    /** A task that may fail with an {@link IOException}. */
    interface IoTask {
        void run() throws IOException;
    }

    private final ExecutorService pool;
    private final List<CompletableFuture<Void>> submitted = new ArrayList<>();

    Tasks(int threads) {
        pool = ThreadPools.fixed("walstash-fetch", threads);
    }

    CompletableFuture<Void> submit(IoTask task) {
        return track(CompletableFuture.runAsync(unchecked(task), pool));
    }

    /** Runs {@code task} once all of {@code first} completed; not at all when one of them failed. */
    CompletableFuture<Void> after(List<CompletableFuture<Void>> first, IoTask task) {
        return track(CompletableFuture.allOf(first.toArray(CompletableFuture[]::new)).thenRunAsync(unchecked(task), pool));
    }

    /** Waits for every task submitted so far; throws the first failure found, cancelling the rest. */
    void awaitAll() throws IOException {
        List<CompletableFuture<Void>> waiting = new ArrayList<>(submitted);
        submitted.clear();
        for (CompletableFuture<Void> f : waiting) {
            try {
                f.get();
            } catch (ExecutionException | CompletionException | CancellationException e) {
                waiting.forEach(other -> other.cancel(true));
                throw Failures.rethrown(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
            }
        }
    }

    @Override
    public void close() throws IOException {
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                throw new IOException("restore tasks did not stop within 60 s of being told to");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping restore tasks");
        }
    }

    private CompletableFuture<Void> track(CompletableFuture<Void> future) {
        submitted.add(future);
        return future;
    }

    private static Runnable unchecked(IoTask task) {
        return () -> {
            try {
                task.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
