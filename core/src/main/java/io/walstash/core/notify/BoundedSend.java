package io.walstash.core.notify;

import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.config.Durations;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * How every notifier sends: the whole exchange (DNS lookup included, which may run on the calling
 * thread) on a daemon thread, so the caller waits at most the timeout and the JVM may exit
 * meanwhile; a notification must never block or change what the command reports.
 */
public final class BoundedSend {
    private BoundedSend() {
    }

    /** An exchange that may throw anything. */
    public interface Exchange<T> {
        T run() throws Exception;
    }

    /**
     * Runs {@code exchange} within {@code timeout}; returns its value, or null after handing one
     * reason in words ({@code reason} words a failure's cause) to {@code failed}. Never throws.
     */
    public static <T> T run(String threadName, Duration timeout, Exchange<T> exchange, Function<Throwable, String> reason,
                            java.util.function.Consumer<String> failed) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread sender = ThreadPools.thread(threadName, () -> {
            try {
                result.complete(exchange.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, ThreadPools.Kind.DAEMON);
        try {
            sender.start();
            return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            sender.interrupt();
            failed.accept("no answer within " + Durations.format(timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.accept("interrupted");
        } catch (ExecutionException e) {
            failed.accept(reason.apply(e.getCause()));
        } catch (RuntimeException | Error e) {
            failed.accept(reason.apply(e));
        }
        return null;
    }
}
