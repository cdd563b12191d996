package io.walstash.core.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Storage that answers the calls of one kind (create, read, list, stat, delete) as a script says,
 * in order, then normally: for property tests of {@link RetryingStorage}.
 */
public final class ScriptedFaults extends ForwardingStorage {
    public enum Kind { CREATE, READ, LIST, STAT, DELETE }

    /** What one call meets. */
    public enum Outcome {
        OK,
        /** Fails as unreachable storage. */
        TRANSIENT,
        /** Fails as access denied: the same request would meet it again. */
        PERMANENT,
        /** Answers not until interrupted (the attempt's timeout abandons it). */
        SLOW,
        /** A create that stores the object, then loses its answer; a read whose stream breaks midway. */
        MIDWAY
    }

    private final Kind kind;
    private final Deque<Outcome> script;
    public final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger interrupted = new AtomicInteger();

    public ScriptedFaults(Storage delegate, Kind kind, List<Outcome> script) {
        super(delegate);
        this.kind = kind;
        this.script = new ArrayDeque<>(script);
    }

    private synchronized Outcome next() {
        calls.incrementAndGet();
        return script.isEmpty() ? Outcome.OK : script.poll();
    }

    private Outcome meet(Kind called) throws IOException {
        if (called != kind) {
            return Outcome.OK;
        }
        Outcome outcome = next();
        switch (outcome) {
            case TRANSIENT -> throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection refused");
            case PERMANENT -> throw new StorageFailure(StorageFailure.Reason.ACCESS_DENIED, "forbidden");
            case SLOW -> {
                try {
                    // released only by the attempt's timeout (an interrupt); the bound is a safety net
                    new CountDownLatch(1).await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                    Thread.currentThread().interrupt();
                }
                throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "abandoned");
            }
            default -> {
                return outcome;
            }
        }
    }

    @Override
    public boolean createIfAbsent(String key, InputStream content) throws IOException {
        Outcome outcome = meet(Kind.CREATE);
        boolean created = delegate.createIfAbsent(key, content);
        if (outcome == Outcome.MIDWAY) {
            throw new StorageFailure(StorageFailure.Reason.UNREACHABLE, "connection reset after the upload");
        }
        return created;
    }

    @Override
    public InputStream read(String key) throws IOException {
        return broken(meet(Kind.READ), delegate.read(key));
    }

    @Override
    public InputStream readRange(String key, long offset, long length) throws IOException {
        return broken(meet(Kind.READ), delegate.readRange(key, offset, length));
    }

    /** A stream that, for {@link Outcome#MIDWAY}, fails after its first byte (unless that was all) as a reset connection would. */
    private static InputStream broken(Outcome outcome, InputStream in) {
        if (outcome != Outcome.MIDWAY) {
            return in;
        }
        return new FilterInputStream(in) {
            private boolean gave;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (gave && in.available() > 0) { // in-memory: available() is what is left
                    throw new IOException("Premature end of Content-Length delimited message body");
                }
                gave = true;
                return super.read(b, off, Math.min(len, 1));
            }
        };
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        meet(Kind.STAT);
        return delegate.stat(key);
    }

    @Override
    public Stream<ObjectInfo> list(String keyPrefix) throws IOException {
        meet(Kind.LIST);
        return delegate.list(keyPrefix);
    }

    @Override
    public void delete(String key) throws IOException {
        meet(Kind.DELETE);
        delegate.delete(key);
    }
}
