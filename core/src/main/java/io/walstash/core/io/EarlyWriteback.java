package io.walstash.core.io;

import io.walstash.core.concurrent.ThreadPools;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes large files back to disk while they are still being written, on a thread of its own, so
 * that the fsync that makes each file durable at the end finds little left to write.
 *
 * <p>Why: with gigabytes of memory the kernel starts writing dirty pages back only when they are
 * old or many, so a restore that syncs its files once at the end spent the time it took the disk
 * to take every byte (about a second for a scale-100 pgbench database here) waiting, with nothing
 * else to do. Syncing here overlaps that with decompressing the rest. Small files are left to the
 * final pass: an fsync of a new file commits the file system's journal, and a thousand of those
 * one after another cost more than they save.
 *
 * <p>A failed write-back fails the work: Linux reports a failed write-back once, to the first
 * fsync that looks, so the final fsync of the same file from another descriptor may not see it.
 * {@link #finish()} therefore waits for the syncs asked for rather than interrupting them, and
 * throws the first failure.
 */
public final class EarlyWriteback implements AutoCloseable {
    /** Bytes one stream writes into a file between two requests to write it back. */
    public static final long EVERY = 32L << 20;

    private final ExecutorService thread;
    private final Set<Path> queued = ConcurrentHashMap.newKeySet();
    private final AtomicReference<IOException> failed = new AtomicReference<>();
    private final AtomicLong synced = new AtomicLong();
    private volatile boolean accepting = true;
    private volatile boolean dropping;

    public EarlyWriteback(String threadName) {
        thread = ThreadPools.fixed(threadName, 1);
    }

    /** Asks for what has been written into {@code file} so far to be written back; returns at once. */
    public void request(Path file) {
        if (!accepting || failed.get() != null || !queued.add(file)) {
            return; // already queued: that sync will take these bytes too
        }
        try {
            thread.execute(() -> sync(file));
        } catch (RejectedExecutionException e) {
            queued.remove(file); // stopped between the look above and now: the final pass syncs it
        }
    }

    private void sync(Path file) {
        queued.remove(file); // bytes written from here on need a request of their own
        if (dropping) {
            return; // the work failed: nothing is made durable after that
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            channel.force(false);
            synced.incrementAndGet();
        } catch (IOException e) {
            failed.compareAndSet(null, new IOException("could not write " + file + " to disk: " + e.getMessage(), e));
        }
    }

    /**
     * Stops taking requests, waits until every request made has been written back (a few files at
     * most: requests for a file already waiting are one), and throws the first failure.
     */
    public void finish() throws IOException {
        accepting = false;
        thread.shutdown();
        try {
            // a sync in progress is not interrupted (its result would be lost); an fsync is as unbounded as the final pass's
            thread.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for files to be written to disk");
        }
        IOException failure = failed.get();
        if (failure != null) {
            throw failure;
        }
    }

    /** How many write-backs have completed. */
    public long synced() {
        return synced.get();
    }

    /** Stops taking requests and drops those not yet started; a sync in progress runs to its end. */
    @Override
    public void close() {
        accepting = false;
        dropping = true;
        thread.shutdown();
    }
}
