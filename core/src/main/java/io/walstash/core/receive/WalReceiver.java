package io.walstash.core.receive;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.ForeignRepositoryException;
import io.walstash.core.archive.WalArchive;
import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.postgres.PostgresVersions;
import io.walstash.core.spool.PushResult;
import io.walstash.core.wal.HistoryFileName;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.TimelineHistory;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * Streams WAL from a physical replication slot into the repository, durably: the open segment is
 * stored as a streamed partial at most {@link Options#syncInterval} after its bytes arrived (or
 * sooner, every {@link Options#syncBytes}), a completed segment as the normal WAL object (the one
 * {@code archive_command} would store, so neither stores it twice), and only then is the slot's
 * flush position advanced: the server keeps every byte that is not yet in storage.
 *
 * <p>Each connection streams from the start of the segment holding the slot's restart position (a
 * slot keeps that whole segment), so a restarted receiver needs nothing local: a killed one loses
 * nothing the slot did not keep. Failures other than a busy slot or a repository that refuses the
 * WAL are retried after a pause that doubles up to {@link Options#reconnectMax}.
 */
public final class WalReceiver {
    /** How long the loop waits for WAL when none is pending (PgJDBC's read has no timeout of its own). */
    private static final long IDLE_WAIT_MILLIS = 5;
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    /** How often the stream reports its position to the server unasked. */
    private static final int STATUS_INTERVAL_SECONDS = 10;

    /**
     * @param slot          the physical replication slot, created (reserving WAL) when missing
     * @param syncInterval  the longest received bytes wait before they are stored
     * @param syncBytes     received bytes that are stored at once, without waiting for the interval
     * @param reconnectMax  the longest pause between reconnections
     */
    public record Options(String slot, Duration syncInterval, long syncBytes, Duration reconnectMax) {
        public Options {
            Objects.requireNonNull(slot, "slot");
            if (!slot.matches("[a-z0-9_]{1,63}")) {
                throw new IllegalArgumentException("replication slot name '" + slot
                        + "' is not valid: PostgreSQL takes 1 to 63 lower-case letters, digits and underscores");
            }
            if (syncInterval.isNegative() || syncInterval.isZero()) {
                throw new IllegalArgumentException("the sync interval must be positive, not " + syncInterval);
            }
            if (syncBytes < 1) {
                throw new IllegalArgumentException("the sync size must be positive, not " + syncBytes);
            }
        }
    }

    /** How the receiver reaches PostgreSQL: an ordinary session and a physical replication one. */
    public interface Connections {
        Connection sql() throws SQLException;

        /** A connection with {@code replication=true} in simple query mode. */
        Connection replication() throws SQLException;
    }

    /** Another process streams from the slot (PostgreSQL allows one): not retried. */
    public static final class SlotBusyException extends IOException {
        public SlotBusyException(String message) {
            super(message);
        }
    }

    /** The repository holds a segment with other content than the server streamed: not retried, nothing overwritten. */
    public static final class ConflictException extends IOException {
        public ConflictException(String message) {
            super(message);
        }
    }

    private final WalArchive archive;
    private final Connections connections;
    private final Options options;
    private final PrintWriter log;
    private final Clock clock;

    public WalReceiver(WalArchive archive, Connections connections, Options options, PrintWriter log, Clock clock) {
        this.archive = archive;
        this.connections = connections;
        this.options = options;
        this.log = log;
        this.clock = clock;
    }

    /** Receives until interrupted; throws only for what reconnecting cannot cure. */
    public void run() throws IOException, InterruptedException {
        Duration backoff = FIRST_BACKOFF;
        while (!Thread.currentThread().isInterrupted()) {
            Session session = new Session();
            try {
                session.run();
            } catch (HistoricTimelineStored done) {
                log.printf("walstash: %s; continuing on timeline %d%n", done.getMessage(), done.next);
                log.flush();
                backoff = FIRST_BACKOFF;
            } catch (SlotBusyException | ConflictException | ForeignRepositoryException | CorruptObjectException
                     | IllegalArgumentException e) {
                throw e; // reconnecting cannot cure these (a logical slot of that name, a foreign repository...)
            } catch (IOException | SQLException | RuntimeException e) {
                session.storeReceived(e);
                if (session.stored) {
                    backoff = FIRST_BACKOFF; // it worked for a while: a new failure starts the backoff again
                }
                String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
                log.printf("walstash: receiving WAL from slot %s failed: %s; reconnecting in %d ms%n", options.slot(),
                        reason, backoff.toMillis());
                log.flush();
                Thread.sleep(backoff.toMillis()); // the backoff itself, not a synchronisation
                backoff = backoff.multipliedBy(2).compareTo(options.reconnectMax()) > 0 ? options.reconnectMax()
                        : backoff.multipliedBy(2);
            }
        }
        throw new InterruptedException();
    }

    /**
     * Where a receiver that is behind must stream an ancestor timeline first: the server streams
     * its current timeline only from the segment where it began (the file of an earlier segment
     * exists only under an ancestor's timeline), so WAL before that comes from the ancestor the
     * position belongs to, up to the segment holding its switch point, whose whole copy is the
     * next timeline's file.
     *
     * @param timeline   the ancestor timeline to stream
     * @param endSegment the first segment (on {@code timeline}) not to take from it
     */
    record HistoricStretch(long timeline, SegmentFileName endSegment) {
    }

    /** The stretch of an ancestor of {@code history} holding {@code from}'s segment, or empty when its own timeline does. */
    static Optional<HistoricStretch> historicStretch(TimelineHistory history, Lsn from, WalSegmentSize size) {
        for (TimelineHistory.Entry entry : history.entries()) {
            SegmentFileName end = SegmentFileName.containing(entry.parentTimeline(), entry.switchPoint(), size);
            if (SegmentFileName.containing(entry.parentTimeline(), from, size).compareTo(end) < 0) {
                return Optional.of(new HistoricStretch(entry.parentTimeline(), end));
            }
        }
        return Optional.empty();
    }

    /** Every whole segment of an ancestor timeline's stretch is stored: the session ends, the next goes on. */
    static final class HistoricTimelineStored extends IOException {
        final long next;

        HistoricTimelineStored(String message, long next) {
            super(message);
            this.next = next;
        }
    }

    /** How often the server's timeline is compared with the one being streamed. */
    private static final Duration TIMELINE_CHECK = Duration.ofSeconds(1);

    /**
     * Ends a stream whose server moved to another timeline. The server ends the old timeline with
     * CopyDone, which PgJDBC answers by waiting for a CommandComplete that the server sends only
     * after the client's own CopyDone, which PgJDBC's stream cannot send: the read would wait
     * forever. So this watches the timeline over an ordinary session and aborts the replication
     * connection when it changes; the receiver reconnects onto the new timeline.
     */
    private final class TimelineWatch implements Runnable {
        private final long timeline;
        private final Connection replication;
        private volatile long moved;

        TimelineWatch(long timeline, Connection replication) {
            this.timeline = timeline;
            this.replication = replication;
        }

        @Override
        public void run() {
            try (Connection sql = connections.sql(); Statement s = sql.createStatement()) {
                while (!Thread.currentThread().isInterrupted()) {
                    // a standby: the timeline its WAL receiver streams; a primary: the one it writes
                    try (ResultSet rs = s.executeQuery("SELECT CASE WHEN pg_is_in_recovery()"
                            + " THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver), 0)::bigint"
                            + " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint END")) {
                        rs.next();
                        long now = rs.getLong(1);
                        if (now != 0 && now != timeline) {
                            moved = now;
                            replication.abort(Runnable::run);
                            return;
                        }
                    }
                    Thread.sleep(TIMELINE_CHECK.toMillis()); // polling: the server announces no timeline change
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (SQLException | RuntimeException e) {
                // the stream fails on its own when the server goes; nothing is left to watch
            }
        }
    }

    /** One connection: from the slot's restart segment on, until the stream fails. */
    private final class Session {
        private boolean stored;
        private WalSegmentSize size;
        private byte[] buffer;
        private SegmentFileName segment;
        /** When streaming an ancestor timeline: the first segment of it not to take; else null. */
        private SegmentFileName historicEnd;
        /** Bytes of {@link #segment} received, and of those stored (as a partial or whole). */
        private int received;
        private int storedLength;
        /** When the first byte not yet stored arrived; null when everything is stored. */
        private Instant unstoredSince;
        private Lsn restart;

        void run() throws IOException, SQLException, InterruptedException {
            try (Connection sql = connections.sql()) {
                PostgresVersions.requireSupported(sql);
                restart = ensureSlot(sql);
                try (Statement s = sql.createStatement();
                     ResultSet rs = s.executeQuery("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'")) {
                    rs.next();
                    size = WalSegmentSize.ofBytes(rs.getLong(1));
                }
            }
            try (Connection replication = connections.replication()) {
                long timeline;
                Lsn serverPosition;
                try (Statement s = replication.createStatement(); ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
                    rs.next();
                    timeline = rs.getLong(2);
                    serverPosition = Lsn.parse(rs.getString(3));
                }
                TimelineHistory history = timeline > 1 ? storeHistory(replication, timeline) : TimelineHistory.of(timeline);
                Lsn from = restart.isValid() ? restart : serverPosition;
                Optional<HistoricStretch> historic = historicStretch(history, from, size);
                long streamed = historic.map(HistoricStretch::timeline).orElse(timeline);
                historicEnd = historic.map(HistoricStretch::endSegment).orElse(null);
                segment = SegmentFileName.containing(streamed, from, size);
                Lsn start = segment.startLsn(size);
                buffer = new byte[size.bytes()];
                PGReplicationStream stream;
                try {
                    stream = historic.isEmpty()
                            ? replication.unwrap(PGConnection.class).getReplicationAPI().replicationStream().physical()
                                    .withSlotName(options.slot()).withStartPosition(LogSequenceNumber.valueOf(start.value()))
                                    .withStatusInterval(STATUS_INTERVAL_SECONDS, java.util.concurrent.TimeUnit.SECONDS).start()
                            : historicStream(replication, start, streamed);
                } catch (SQLException e) {
                    if ("55006".equals(e.getSQLState())) {
                        throw busy(e.getMessage());
                    }
                    throw e;
                }
                log.printf("walstash: receiving WAL from slot %s on timeline %d from %s (%s)%s%n", options.slot(), streamed,
                        start, segment, historicEnd == null ? ""
                                : ", up to " + historicEnd + " (the server is on timeline " + timeline + ")");
                log.flush();
                if (restart.isValid()) {
                    // never report less than the slot holds: a physical slot's restart position follows the report
                    report(stream, restart);
                }
                TimelineWatch watch = new TimelineWatch(timeline, replication);
                Thread watcher = ThreadPools.thread("walstash-receive-timeline", watch, ThreadPools.Kind.DAEMON);
                watcher.start();
                try {
                    stream(stream);
                } catch (SQLException | IOException e) {
                    if (watch.moved != 0) {
                        throw new IOException("the server moved to timeline " + watch.moved, e);
                    }
                    throw e;
                } finally {
                    watcher.interrupt();
                }
            }
        }

        private void stream(PGReplicationStream stream) throws SQLException, IOException, InterruptedException {
            while (!Thread.currentThread().isInterrupted()) {
                ByteBuffer message = stream.readPending();
                if (message == null) {
                    if (stream.isClosed()) {
                        throw new IOException("the server ended the stream");
                    }
                    storeIfDue(stream);
                    Thread.sleep(IDLE_WAIT_MILLIS); // PgJDBC offers no blocking read with a timeout
                    continue;
                }
                // PgJDBC's last receive LSN is where the message's WAL ends
                take(stream, message, Lsn.of(stream.getLastReceiveLSN().asLong() - message.remaining()));
                storeIfDue(stream);
            }
            throw new InterruptedException();
        }

        /**
         * An ancestor timeline, which PgJDBC's builder cannot ask for: START_REPLICATION with
         * TIMELINE over PgJDBC's own copy protocol, read through its ordinary stream class. The
         * server ends such a stream with CopyDone and the next timeline's start, which PgJDBC's stream
         * cannot read; so {@link #take} ends the session itself once the stretch is stored.
         */
        private PGReplicationStream historicStream(Connection replication, Lsn start, long timeline) throws SQLException {
            org.postgresql.core.BaseConnection base = replication.unwrap(org.postgresql.core.BaseConnection.class);
            org.postgresql.copy.CopyOperation copy = base.getQueryExecutor().startCopy("START_REPLICATION SLOT "
                    + options.slot() + " PHYSICAL " + start + " TIMELINE " + timeline, true);
            return new org.postgresql.core.v3.replication.V3PGReplicationStream((org.postgresql.copy.CopyDual) copy,
                    LogSequenceNumber.valueOf(start.value()), STATUS_INTERVAL_SECONDS * 1000L, true,
                    org.postgresql.replication.ReplicationType.PHYSICAL);
        }

        /** Ends the session when the segment to fill is where an ancestor timeline's stretch ends. */
        private void endOfHistoricStretch() throws HistoricTimelineStored {
            if (historicEnd != null && segment.equals(historicEnd)) {
                throw new HistoricTimelineStored("stored timeline " + historicEnd.timeline() + " up to " + historicEnd
                        + ", where the next timeline's copy begins", historicEnd.timeline() + 1);
            }
        }

        /** Copies {@code message}, which starts at {@code at}, into the segment buffer, storing each segment it completes. */
        private void take(PGReplicationStream stream, ByteBuffer message, Lsn at) throws IOException, SQLException {
            Lsn position = at;
            while (message.hasRemaining()) {
                endOfHistoricStretch();
                long expected = segment.startLsn(size).value() + received;
                if (position.value() != expected) {
                    throw new IOException("the server sent WAL from " + position + ", expected " + Lsn.of(expected));
                }
                int n = Math.min(message.remaining(), size.bytes() - received);
                message.get(buffer, received, n);
                if (unstoredSince == null) {
                    unstoredSince = clock.instant();
                }
                received += n;
                position = position.plus(n);
                if (received == size.bytes()) {
                    completeSegment(stream);
                    endOfHistoricStretch();
                }
            }
        }

        private void completeSegment(PGReplicationStream stream) throws IOException, SQLException {
            PushResult result = archive.push(segment.fileName(), buffer, received);
            if (result instanceof PushResult.Conflict conflict) {
                throw new ConflictException(segment + " is already archived with different content (" + conflict.detail()
                        + "); nothing was overwritten: check " + conflict.key());
            }
            archive.deletePartials(segment, 0); // the whole segment replaces them
            Lsn end = segment.startLsn(size).plus(size.bytes());
            segment = segment.next(size);
            received = 0;
            storedLength = 0;
            unstoredSince = null;
            stored = true;
            report(stream, end);
        }

        private void storeIfDue(PGReplicationStream stream) throws IOException, SQLException {
            if (unstoredSince == null || received == storedLength) {
                return;
            }
            boolean due = Duration.between(unstoredSince, clock.instant()).compareTo(options.syncInterval()) >= 0
                    || received - storedLength >= options.syncBytes();
            if (!due) {
                return;
            }
            int length = received;
            archive.storePartial(segment, buffer, length);
            archive.deletePartials(segment, length);
            storedLength = length;
            unstoredSince = null;
            stored = true;
            report(stream, segment.startLsn(size).plus(length));
        }

        /**
         * After the connection failed: stores what was received and not yet stored (the server sends
         * only WAL it has flushed), so that a crashed server loses no commit the receiver had.
         */
        void storeReceived(Exception failure) {
            if (segment == null || received <= storedLength || received < io.walstash.core.wal.WalSegmentHeader.LENGTH) {
                return;
            }
            try {
                archive.storePartial(segment, buffer, received);
                archive.deletePartials(segment, received);
                storedLength = received;
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }

        /** Tells the server that everything before {@code flushed} is stored, never less than the slot holds. */
        private void report(PGReplicationStream stream, Lsn flushed) throws SQLException {
            Lsn reported = restart.isValid() && flushed.compareTo(restart) < 0 ? restart : flushed;
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(reported.value());
            stream.setFlushedLSN(lsn);
            stream.setAppliedLSN(lsn);
            stream.forceUpdateStatus();
        }

        /** The slot's restart position, creating the slot (reserving WAL at once) when missing. */
        private Lsn ensureSlot(Connection sql) throws SQLException, IOException {
            try (PreparedStatement s = sql.prepareStatement("SELECT slot_type, active, active_pid, restart_lsn::text"
                    + " FROM pg_replication_slots WHERE slot_name = ?")) {
                s.setString(1, options.slot());
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        if (!rs.getString(1).equals("physical")) {
                            throw new IllegalArgumentException("replication slot " + options.slot() + " is a "
                                    + rs.getString(1) + " slot; WAL is received from a physical one");
                        }
                        if (rs.getBoolean(2)) {
                            throw busy("replication slot \"" + options.slot() + "\" is active for PID " + rs.getLong(3));
                        }
                        String lsn = rs.getString(4);
                        return lsn == null ? Lsn.INVALID : Lsn.parse(lsn);
                    }
                }
            }
            try (PreparedStatement s = sql.prepareStatement(
                    "SELECT lsn::text FROM pg_create_physical_replication_slot(?, true)")) {
                s.setString(1, options.slot());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    log.printf("walstash: created physical replication slot %s at %s%n", options.slot(), rs.getString(1));
                    return Lsn.parse(rs.getString(1));
                }
            } catch (SQLException e) {
                if ("42710".equals(e.getSQLState())) {
                    throw new IOException("replication slot " + options.slot() + " was created meanwhile by another process", e);
                }
                throw e;
            }
        }

        private SlotBusyException busy(String serverMessage) {
            return new SlotBusyException(serverMessage + ": another receiver streams from it; give each its own slot"
                    + " (" + ReceiveSettings.SLOT.name() + ")");
        }

        /** Stores the history file of {@code timeline}, which says where the timelines before it end, and returns it. */
        private TimelineHistory storeHistory(Connection replication, long timeline) throws SQLException, IOException {
            byte[] content;
            try (Statement s = replication.createStatement();
                 ResultSet rs = s.executeQuery("TIMELINE_HISTORY " + timeline)) {
                rs.next();
                content = rs.getBytes(2);
            }
            String name = new HistoryFileName(timeline).fileName();
            PushResult result = archive.push(name, content, content.length);
            if (result instanceof PushResult.Conflict conflict) {
                throw new ConflictException(name + " is already archived with different content (" + conflict.detail() + ")");
            }
            if (result instanceof PushResult.Archived) {
                log.printf("walstash: stored %s: following timeline %d%n", name, timeline);
            }
            try {
                return TimelineHistory.parse(timeline, new String(content, java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new IOException("the server's history of timeline " + timeline + " does not parse: " + e.getMessage(), e);
            }
        }
    }
}
