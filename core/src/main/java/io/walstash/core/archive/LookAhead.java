package io.walstash.core.archive;

import io.walstash.core.spool.PushResult;
import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalFileName;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Uploads, alongside a push of segment S, the segments after S that PostgreSQL has already marked
 * ready ({@code <pg_wal>/archive_status/<name>.ready}), so that its later calls for them find them
 * done ({@link PushedMarkers}) and return at once: one process start then archives many segments.
 *
 * <p>Only WAL segments of S's timeline whose names come after S are taken, oldest first. History,
 * backup history and {@code .partial} files are left to PostgreSQL's own call: they are small, rare,
 * and PostgreSQL archives history files before segments anyway.
 */
final class LookAhead implements AutoCloseable {

    /** Pushes one file through the normal (retrying) path, reporting the local content it read. */
    @FunctionalInterface
    interface Pusher {
        PushResult push(Path file, Consumer<ObjectHeader> inspected) throws IOException;
    }

    private final Pusher pusher;
    private final String location;
    private final int limit;
    private final int concurrency;
    private final Consumer<String> warnings;
    private final Map<Path, CompletableFuture<PushResult>> inFlight = new ConcurrentHashMap<>();
    private ExecutorService workers;

    /**
     * @param limit       the most successors one push starts; 0 turns look-ahead off
     * @param concurrency uploads at once, counting the push that started them
     */
    LookAhead(Pusher pusher, String location, int limit, int concurrency, Consumer<String> warnings) {
        this.pusher = pusher;
        this.location = location;
        this.limit = concurrency > 1 ? limit : 0;
        this.concurrency = concurrency;
        this.warnings = warnings;
    }

    /**
     * What is already known about {@code file}: the result of a look-ahead upload of it still in
     * flight (waited for, up to {@code wait}) or a marker that still matches it. Empty when it must
     * be pushed as usual (including when its look-ahead upload failed).
     */
    Optional<PushResult> known(Path file, Duration wait) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        CompletableFuture<PushResult> running = inFlight.get(absolute);
        if (running != null) {
            try {
                PushResult result = running.get(wait.toMillis(), TimeUnit.MILLISECONDS);
                if (stored(result)) {
                    return Optional.of(result);
                }
            } catch (ExecutionException | CancellationException | TimeoutException e) {
                // the look-ahead upload failed or takes too long: push it ourselves
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the look-ahead upload of " + file);
            }
        }
        Path pgWal = absolute.getParent();
        if (pgWal == null) {
            return Optional.empty();
        }
        return new PushedMarkers(pgWal, location).storedKey(absolute).map(PushResult.AlreadyArchived::new);
    }

    /** Starts uploading the ready successors of {@code file}; returns what it started. */
    List<CompletableFuture<PushResult>> start(Path file) throws IOException {
        Path absolute = file.toAbsolutePath().normalize();
        Path pgWal = absolute.getParent();
        if (limit == 0 || pgWal == null || !Files.isDirectory(pgWal.resolve("archive_status"))) {
            return List.of();
        }
        if (!(WalFileName.parse(String.valueOf(absolute.getFileName())) instanceof SegmentFileName segment)) {
            return List.of();
        }
        PushedMarkers markers = new PushedMarkers(pgWal, location);
        markers.removeStale(pgWal);
        List<CompletableFuture<PushResult>> started = new ArrayList<>();
        for (SegmentFileName next : readySuccessors(pgWal, segment)) {
            Path candidate = pgWal.resolve(next.fileName());
            if (markers.storedKey(candidate).isPresent()) {
                continue;
            }
            CompletableFuture<PushResult> future = new CompletableFuture<>();
            if (inFlight.putIfAbsent(candidate, future) != null) {
                continue;
            }
            started.add(future);
            workers().execute(() -> upload(candidate, markers, future));
        }
        return started;
    }

    /** Waits for {@code started} up to {@code wait}; cancels what is still running then (no marker is written for it). */
    static void await(List<CompletableFuture<PushResult>> started, Duration wait) throws InterruptedIOException {
        long deadline = System.nanoTime() + wait.toNanos();
        for (CompletableFuture<PushResult> future : started) {
            try {
                future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | CancellationException ignored) {
                // a failed look-ahead upload is pushed again when PostgreSQL asks for it
            } catch (TimeoutException e) {
                future.cancel(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                started.forEach(f -> f.cancel(true));
                throw new InterruptedIOException("interrupted while waiting for look-ahead uploads");
            }
        }
    }

    private void upload(Path file, PushedMarkers markers, CompletableFuture<PushResult> future) {
        PushResult result = null;
        Throwable failure = null;
        try {
            Optional<PushedMarkers.FileState> before = PushedMarkers.FileState.of(file);
            if (before.isPresent() && !future.isDone()) {
                ObjectHeader[] read = new ObjectHeader[1];
                result = pusher.push(file, header -> read[0] = header);
                // The marker is written only now that storage acknowledged the object, and only if the
                // file is still what was read: else PostgreSQL's own call pushes (and compares) it.
                if (stored(result) && read[0] != null && read[0].plainLength() == before.get().size()
                        && PushedMarkers.FileState.of(file).equals(before)) {
                    markers.write(file, before.get(), result.key(), read[0]);
                }
            }
        } catch (NoSuchFileException gone) {
            result = null; // recycled or removed meanwhile: nothing to do
        } catch (IOException | RuntimeException e) {
            if (!future.isCancelled()) {
                warnings.accept("walstash: warning: look-ahead upload of " + file.getFileName() + " failed (PostgreSQL's own call will retry it): "
                        + firstLine(e));
            }
            failure = e;
        } finally {
            // Leave the in-flight table before completing, so that whoever sees the result done
            // finds the marker rather than a finished entry.
            inFlight.remove(file, future);
            if (failure != null) {
                future.completeExceptionally(failure);
            } else if (result != null) {
                future.complete(result);
            } else {
                future.cancel(false);
            }
        }
    }

    /** Ready segments of {@code segment}'s timeline after it, oldest first, at most {@link #limit}. */
    private List<SegmentFileName> readySuccessors(Path pgWal, SegmentFileName segment) throws IOException {
        try (Stream<Path> status = Files.list(pgWal.resolve("archive_status"))) {
            return status.map(p -> String.valueOf(p.getFileName()))
                    .filter(n -> n.endsWith(".ready"))
                    .map(n -> n.substring(0, n.length() - ".ready".length()))
                    .filter(n -> n.length() == SegmentFileName.LENGTH && WalFileName.isWalFileName(n))
                    .map(SegmentFileName::parse)
                    .filter(s -> s.timeline() == segment.timeline() && s.compareTo(segment) > 0)
                    .sorted()
                    .limit(limit)
                    .toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private synchronized ExecutorService workers() {
        if (workers == null) {
            workers = ThreadPools.fixed("walstash-lookahead", concurrency - 1);
        }
        return workers;
    }

    private static boolean stored(PushResult result) {
        return result instanceof PushResult.Archived || result instanceof PushResult.AlreadyArchived;
    }

    private static String firstLine(Throwable t) {
        String message = t.getMessage();
        return message == null ? t.getClass().getSimpleName() : message.lines().findFirst().orElse(message);
    }

    @Override
    public synchronized void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
