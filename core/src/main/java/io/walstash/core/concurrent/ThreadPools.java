package io.walstash.core.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place walstash creates threads: named, daemon or not. A daemon thread never keeps the JVM
 * alive (a one-shot command exits when its work is done); a non-daemon one does (the daemon's
 * request threads, which must finish what PostgreSQL waits for). An instance owns the executors it
 * created and shuts them all down in {@link #close()}, the one place a command or the daemon stops them.
 */
public final class ThreadPools implements AutoCloseable {
    /** Whether the threads keep the JVM alive. */
    public enum Kind { DAEMON, NON_DAEMON }

    private final List<ExecutorService> owned = new ArrayList<>();

    /** Threads all named {@code name}. */
    public static ThreadFactory named(String name, Kind kind) {
        return task -> thread(name, task, kind);
    }

    /** Threads named {@code prefix} followed by 1, 2, 3... */
    public static ThreadFactory numbered(String prefix, Kind kind) {
        AtomicInteger counter = new AtomicInteger();
        return task -> thread(prefix + counter.incrementAndGet(), task, kind);
    }

    /** An unstarted thread running {@code task}. */
    public static Thread thread(String name, Runnable task, Kind kind) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(kind == Kind.DAEMON);
        return thread;
    }

    /** A pool of {@code threads} threads that {@code factory} makes; the caller shuts it down. */
    public static ExecutorService fixed(int threads, ThreadFactory factory) {
        return Executors.newFixedThreadPool(threads, factory);
    }

    /** A pool of {@code threads} daemon threads named {@code name}; the caller shuts it down. */
    public static ExecutorService fixed(String name, int threads) {
        return fixed(threads, named(name, Kind.DAEMON));
    }

    /**
     * Daemon threads named {@code name}, reused: a task runs on an idle one, or on a new one when all
     * are busy; a thread idle for a minute ends. Never shut down, since only daemon threads are in it.
     */
    public static ExecutorService reused(String name) {
        return Executors.newCachedThreadPool(named(name, Kind.DAEMON));
    }

    /** As {@link #fixed(int, ThreadFactory)}, owned by this instance. */
    public synchronized ExecutorService ownedFixed(int threads, ThreadFactory factory) {
        return own(fixed(threads, factory));
    }

    /** One daemon thread named {@code name}, owned by this instance. */
    public synchronized ExecutorService ownedSingle(String name) {
        return own(Executors.newSingleThreadExecutor(named(name, Kind.DAEMON)));
    }

    /** One daemon thread named {@code name} running scheduled tasks, owned by this instance. */
    public synchronized ScheduledExecutorService ownedScheduled(String name) {
        return own(Executors.newSingleThreadScheduledExecutor(named(name, Kind.DAEMON)));
    }

    private <E extends ExecutorService> E own(E executor) {
        owned.add(executor);
        return executor;
    }

    /**
     * Shuts down every executor this instance created: queued tasks still run, nothing new is
     * accepted. Whoever must wait for them awaits the executors it holds.
     */
    @Override
    public synchronized void close() {
        owned.forEach(ExecutorService::shutdown);
    }
}
