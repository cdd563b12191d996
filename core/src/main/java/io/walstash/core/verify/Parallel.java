package io.walstash.core.verify;

import io.walstash.core.concurrent.ThreadPools;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/** Runs one check per item on a bounded pool; the first failure (not a finding: an exception) ends the run. */
final class Parallel {
    private Parallel() {
    }

    interface Check<T, R> {
        R apply(T item) throws IOException;
    }

    interface Action<T> {
        void accept(T item) throws IOException;
    }

    /** Results by item, in the order of {@code items}. */
    static <T, R> Map<T, R> map(List<T> items, int concurrency, Check<T, R> check) throws IOException {
        List<R> results = inOrder(items, concurrency, check);
        Map<T, R> byItem = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            byItem.put(items.get(i), results.get(i));
        }
        return byItem;
    }

    /** Runs {@code action} on every item; returns when all have run. */
    static <T> void forEach(List<T> items, int concurrency, Action<T> action) throws IOException {
        inOrder(items, concurrency, item -> {
            action.accept(item);
            return null;
        });
    }

    private static <T, R> List<R> inOrder(List<T> items, int concurrency, Check<T, R> check) throws IOException {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        ExecutorService pool = ThreadPools.fixed("walstash-verify", concurrency);
        try {
            List<Future<R>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit(() -> check.apply(item)));
            }
            List<R> results = new ArrayList<>(items.size());
            for (Future<R> future : futures) {
                try {
                    results.add(future.get());
                } catch (ExecutionException e) {
                    futures.forEach(f -> f.cancel(true));
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(String.valueOf(e.getCause()), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
