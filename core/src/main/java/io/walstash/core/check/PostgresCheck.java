package io.walstash.core.check;

import io.walstash.core.archive.RepositoryIdentity;
import io.walstash.core.archive.WalArchive;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * PostgreSQL's side of a check, as pgBackRest's {@code check} does it: archiving is on, the
 * archive command runs walstash, the server is the cluster this repository serves, and, the proof
 * that the command reaches THIS repository whatever its own environment says, a forced segment
 * switch whose segment must arrive here within a timeout. The configuration walstash reads and
 * the one PostgreSQL's archive_command runs with can differ (another environment, another config
 * file); comparing their texts would prove nothing, an arriving segment proves everything.
 */
public final class PostgresCheck {
    /** What is wrong on PostgreSQL's side; the message is one line and quotes no setting's value. */
    public static final class NotArchivingHereException extends IOException {
        public enum Problem { ARCHIVE_MODE_OFF, ARCHIVE_COMMAND_NOT_WALSTASH, SEGMENT_DID_NOT_ARRIVE }

        private final Problem problem;

        public NotArchivingHereException(Problem problem, String message) {
            super(message);
            this.problem = Objects.requireNonNull(problem, "problem");
        }

        public Problem problem() {
            return problem;
        }
    }

    /** The forced segment and how long it took to arrive. */
    public record Passed(String archiveMode, String segment, Duration took) {
    }

    /** Waits between looks at the repository while the segment is on its way. */
    public interface Pause {
        void pause(Duration duration) throws InterruptedException;
    }

    private static final Duration POLL = Duration.ofMillis(200);

    private final Clock clock;
    private final Pause pause;

    public PostgresCheck(Clock clock, Pause pause) {
        this.clock = clock;
        this.pause = pause;
    }

    /** Runs every step against the server {@code connection} reaches; throws at the first that fails. */
    public Passed run(Connection connection, WalArchive archive, Duration timeout) throws IOException, SQLException {
        io.walstash.core.postgres.PostgresVersions.requireSupported(connection);
        String mode = show(connection, "archive_mode");
        if (!mode.equals("on") && !mode.equals("always")) {
            throw new NotArchivingHereException(NotArchivingHereException.Problem.ARCHIVE_MODE_OFF,
                    "PostgreSQL's archive_mode is " + mode + ", not on: nothing is archived (set archive_mode = on and restart)");
        }
        if (hasSetting(connection, "archive_library") && !show(connection, "archive_library").isEmpty()) {
            throw new NotArchivingHereException(NotArchivingHereException.Problem.ARCHIVE_COMMAND_NOT_WALSTASH,
                    "PostgreSQL archives through archive_library, not an archive_command running walstash");
        }
        // the command is not quoted: it may carry a credential in an environment assignment
        if (!show(connection, "archive_command").toLowerCase(Locale.ROOT).contains("walstash")) {
            throw new NotArchivingHereException(NotArchivingHereException.Problem.ARCHIVE_COMMAND_NOT_WALSTASH,
                    "PostgreSQL's archive_command does not run walstash");
        }
        RepositoryIdentity.requireServes(archive, connection);
        String segment = switchSegment(connection);
        Instant started = clock.instant();
        Instant deadline = started.plus(timeout);
        while (archive.locate(segment).isEmpty()) {
            if (!clock.instant().isBefore(deadline)) {
                throw new NotArchivingHereException(NotArchivingHereException.Problem.SEGMENT_DID_NOT_ARRIVE,
                        "WAL segment " + segment + " (forced by pg_switch_wal) did not arrive in " + archive.storage().location()
                                + " within " + io.walstash.core.config.Durations.format(timeout)
                                + ": archive_command fails or archives to another repository (see pg_stat_archiver and PostgreSQL's log)");
            }
            try {
                pause.pause(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for " + segment);
            }
        }
        return new Passed(mode, segment, Duration.between(started, clock.instant()));
    }

    /**
     * Writes a restore point (a WAL record, so the switch has something to finish even on an idle
     * server) and switches; the segment holding the switch is the one that gets archived.
     */
    private static String switchSegment(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_walfile_name(lsn) FROM (SELECT pg_create_restore_point('walstash check'),"
                     + " pg_switch_wal() AS lsn) AS switched")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean hasSetting(Connection connection, String name) throws SQLException {
        try (var s = connection.prepareStatement("SELECT 1 FROM pg_settings WHERE name = ?")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static String show(Connection connection, String name) throws SQLException {
        try (var s = connection.prepareStatement("SELECT current_setting(?)")) {
            s.setString(1, name);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getString(1).strip();
            }
        }
    }
}
