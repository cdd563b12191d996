package io.walstash.core.spool;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.io.Durable;
import io.walstash.core.io.OwnerOnly;
import io.walstash.core.storage.RetryPolicy;
import io.walstash.core.storage.Storage;
import io.walstash.core.wal.WalFileName;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;

/**
 * A local directory that holds WAL files while storage is unreachable, so that PostgreSQL's
 * archiving goes on (and pg_wal does not fill up) through an outage; they are drained to storage,
 * oldest name first, once it answers again. The layout is {@link SpoolBacklog}'s.
 *
 * <p>With a master key configured each spooled file is sealed ({@link LocalSealing}, bound to its
 * WAL file name): no clear WAL is left on local disk, and a spooled file that was damaged, truncated
 * or swapped fails to unseal before any of it is uploaded; it is then kept and reported, and
 * draining stops there (as for any spooled file that cannot be archived), so that the operator
 * decides about it rather than the archive silently losing or gaining a segment.
 *
 * <p>A spooled file is as durable as the local disk: the spool should be on a different disk from
 * pg_wal for it to protect against more than an outage of storage.
 */
public final class Spool {
    public static final long DEFAULT_MAX_SIZE = CoreSettings.SPOOL_MAX_SIZE.defaultValue();
    private static final String LOCK = ".drain.lock";
    /** Lock files of the spools a drain of this JVM holds: the in-JVM half of the drain lock. */
    private static final Set<String> DRAINING = ConcurrentHashMap.newKeySet();

    /** Pushes one spooled file to storage through the normal push path. */
    @FunctionalInterface
    public interface Pusher {
        /**
         * @param unsealed opens the WAL bytes of a sealed spooled file, unsealed (authenticated to the
         *                 end before a read returns the last byte); empty when the file holds them as they are
         */
        PushResult push(Path spooled, Optional<Storage.Content> unsealed) throws IOException;
    }

    /** The spool would grow past {@code WALSTASH_SPOOL_MAX_SIZE}: the push fails as it would without a spool. */
    public static final class SpoolFullException extends IOException {
        public SpoolFullException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * What one drain did.
     *
     * @param drained  names stored (or found already stored) and removed from the spool, in order
     * @param conflict a spooled file that storage holds with different content; it was kept and
     *                 draining stopped there
     * @param failure  why draining stopped otherwise (storage still unreachable, a bad spooled file)
     * @param busy     another process was draining this spool; nothing was done
     * @param left     files still waiting
     */
    public record Drain(List<String> drained, Optional<PushResult.Conflict> conflict, Optional<IOException> failure,
                        boolean busy, int left) {
        public Drain {
            drained = List.copyOf(drained);
        }

        /** Whether draining stopped because storage did not answer (so pushing now would fail too). */
        public boolean storageUnavailable() {
            return failure.isPresent() && RetryPolicy.isTransient(failure.get());
        }
    }

    private final Path directory;
    private final long maxBytes;
    private final LocalSealing sealing;

    public Spool(Path directory, long maxBytes) {
        this(directory, maxBytes, LocalSealing.none());
    }

    /** {@code sealing}: how spooled files are kept (sealed when it has a master key). */
    public Spool(Path directory, long maxBytes, LocalSealing sealing) {
        this.directory = directory.toAbsolutePath();
        this.maxBytes = maxBytes;
        this.sealing = sealing;
    }

    /**
     * The spool {@code WALSTASH_SPOOL} names, limited by {@code WALSTASH_SPOOL_MAX_SIZE} (default 1 GiB),
     * its files sealed under the configured master key; none if unset.
     */
    public static Optional<Spool> from(Settings settings) {
        return CoreSettings.SPOOL.find(settings).map(dir -> new Spool(Path.of(dir),
                CoreSettings.SPOOL_MAX_SIZE.get(settings), LocalSealing.configured(settings)));
    }

    public Path directory() {
        return directory;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Copies {@code file} durably into the spool under its own name: returns only once the copy
     * and its directory entry are synced. Storing a name again with identical content is a no-op.
     *
     * @param cause why storage could not take it, for the message when the spool is full
     * @throws SpoolFullException when the copy would take the spool past its size limit
     */
    public Path store(Path file, IOException cause) throws IOException {
        String name = String.valueOf(file.getFileName());
        WalFileName.parse(name);
        OwnerOnly.createDirectories(directory); // 0700, and its creation synced like the files in it
        Path target = directory.resolve(name);
        long size = Files.size(file);
        boolean sealed = sealing.active();
        if (Files.exists(target)) {
            if (sealed ? sameAsSealed(file, target, name) : Files.mismatch(file, target) == -1) {
                return target;
            }
            throw new IOException("spool " + directory + " already holds " + name + " with different content;"
                    + " not replacing it (storage: " + firstLine(cause) + ")", cause);
        }
        SpoolBacklog backlog = SpoolBacklog.read(directory);
        if (backlog.bytes() + size > maxBytes) {
            throw new SpoolFullException("cannot archive " + name + ": storage failed (" + firstLine(cause)
                    + ") and spool " + directory + " is full (" + backlog.count() + " files, " + backlog.bytes()
                    + " bytes; adding " + size + " would pass " + CoreSettings.SPOOL_MAX_SIZE.name() + "=" + maxBytes + ")", cause);
        }
        Path temp = directory.resolve("." + name + "." + UUID.randomUUID() + ".tmp");
        try {
            if (sealed) {
                // sealed as it is read from pg_wal: the clear bytes never reach the spool's disk
                try (InputStream in = sealing.sealing(Files.newInputStream(file), sealedName(name));
                     FileChannel out = OwnerOnly.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    in.transferTo(Channels.newOutputStream(out));
                    out.force(true);
                }
            } else {
                copy(file, temp, size);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            Durable.syncDirectory(directory);
        } finally {
            Files.deleteIfExists(temp);
        }
        return target;
    }

    private static void copy(Path file, Path temp, long size) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = OwnerOnly.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long copied = 0;
            while (copied < size) {
                long n = out.transferFrom(in, copied, size - copied);
                if (n <= 0) {
                    throw new IOException(file + " shrank while being spooled");
                }
                copied += n;
            }
            out.force(true);
        }
    }

    /** The name a spooled file is sealed under: binds it to its WAL file name. */
    private static String sealedName(String walFileName) {
        return "spool/" + walFileName;
    }

    /** Whether the sealed spooled file {@code target} holds {@code file}'s bytes; one that does not unseal does not. */
    private boolean sameAsSealed(Path file, Path target, String name) throws IOException {
        try (InputStream local = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             InputStream spooled = new BufferedInputStream(sealing.unsealing(Files.newInputStream(target),
                     sealedName(name), "spooled " + target), 1 << 16)) {
            int a;
            do {
                a = local.read();
                if (a != spooled.read()) {
                    return false;
                }
            } while (a >= 0);
            return true;
        } catch (IOException e) {
            return false; // damaged, or sealed under another key: not the file being spooled, so not replaced
        }
    }

    /**
     * Pushes every spooled file, oldest WAL name first, through {@code pusher}, removing each only
     * once storage acknowledged it (or already held it identically). Stops at the first conflict
     * or failure, keeping that file and those after it. Only one process drains a spool at a time
     * (a lock file); a drain that finds another under way returns at once with {@code busy}.
     */
    public Drain drain(Pusher pusher) throws IOException {
        if (SpoolBacklog.read(directory).count() == 0) {
            return new Drain(List.of(), Optional.empty(), Optional.empty(), false, 0);
        }
        // The OS lock (fcntl) belongs to the process, and closing ANY channel of this JVM on the lock
        // file releases it: a second drain in the same JVM (a daemon serving several pushes) must not
        // even open the file while another holds the lock, or it would let a command-line push in.
        String key = directory.resolve(LOCK).toString();
        if (!DRAINING.add(key)) {
            return new Drain(List.of(), Optional.empty(), Optional.empty(), true, SpoolBacklog.read(directory).count());
        }
        try (FileChannel lockFile = OwnerOnly.open(directory.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                return new Drain(List.of(), Optional.empty(), Optional.empty(), true, SpoolBacklog.read(directory).count());
            }
            try (FileLock held = lock) {
                return drainLocked(pusher);
            }
        } finally {
            DRAINING.remove(key);
        }
    }

    private Drain drainLocked(Pusher pusher) throws IOException {
        // Read again under the lock: a drainer that held it before may have emptied the spool.
        List<SpoolBacklog.Entry> waiting = SpoolBacklog.read(directory).files();
        List<String> drained = new ArrayList<>();
        for (int i = 0; i < waiting.size(); i++) {
            Path spooled = directory.resolve(waiting.get(i).name());
            PushResult result;
            try {
                result = pusher.push(spooled, unsealed(spooled));
            } catch (NoSuchFileException gone) {
                continue; // removed by hand meanwhile
            } catch (IOException e) {
                return new Drain(drained, Optional.empty(), Optional.of(e), false, waiting.size() - i);
            } catch (IllegalArgumentException e) {
                // a damaged spooled file must not fail the push that drains: it is reported and kept
                return new Drain(drained, Optional.empty(), Optional.of(new IOException("spooled " + spooled
                        + " cannot be archived: " + e.getMessage(), e)), false, waiting.size() - i);
            }
            if (result instanceof PushResult.Conflict conflict) {
                return new Drain(drained, Optional.of(conflict), Optional.empty(), false, waiting.size() - i);
            }
            if (!(result instanceof PushResult.Archived) && !(result instanceof PushResult.AlreadyArchived)) {
                return new Drain(drained, Optional.empty(), Optional.of(new IOException("spooled " + spooled
                        + " was not stored: " + result)), false, waiting.size() - i);
            }
            // under the lock nobody else removes it; a hand that did is no reason to fail the push
            Files.deleteIfExists(spooled);
            Durable.syncDirectory(directory);
            drained.add(waiting.get(i).name());
        }
        return new Drain(drained, Optional.empty(), Optional.empty(), false, 0);
    }

    /** The WAL bytes of a sealed spooled file, opened afresh for each read; empty for a clear spool. */
    private Optional<Storage.Content> unsealed(Path spooled) throws IOException {
        if (!sealing.active()) {
            return Optional.empty();
        }
        String name = String.valueOf(spooled.getFileName());
        return Optional.of(() -> sealing.unsealing(Files.newInputStream(spooled), sealedName(name), "spooled " + spooled));
    }

    private static String firstLine(Throwable t) {
        String message = t == null ? null : t.getMessage();
        return message == null ? String.valueOf(t) : message.lines().findFirst().orElse(message);
    }
}
