package io.walstash.core.status;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.Optional;

/** PostgreSQL's own view of its archiver ({@code pg_stat_archiver}), or why it could not be read. */
public sealed interface PgArchiver {

    /** One row of {@code pg_stat_archiver}; the optional fields are NULL until the first archive or failure. */
    record Stats(long archivedCount, Optional<String> lastArchivedWal, Optional<Instant> lastArchivedTime,
                 long failedCount, Optional<String> lastFailedWal, Optional<Instant> lastFailedTime) implements PgArchiver {
        public Stats {
            Objects.requireNonNull(lastArchivedWal, "lastArchivedWal");
            Objects.requireNonNull(lastArchivedTime, "lastArchivedTime");
            Objects.requireNonNull(lastFailedWal, "lastFailedWal");
            Objects.requireNonNull(lastFailedTime, "lastFailedTime");
        }

        /** Whether the archiver's latest attempt failed: a failure and no success since. */
        public boolean failingSinceLastSuccess() {
            if (lastFailedTime.isEmpty()) {
                return false;
            }
            return lastArchivedTime.isEmpty() || lastFailedTime.get().isAfter(lastArchivedTime.get());
        }
    }

    /** The connection or query failed; {@code reason} is one line without secrets. */
    record Unavailable(String reason) implements PgArchiver {
        public Unavailable {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Reads {@code pg_stat_archiver} on {@code connection}. */
    static Stats query(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT archived_count, last_archived_wal, last_archived_time,"
                     + " failed_count, last_failed_wal, last_failed_time FROM pg_stat_archiver")) {
            if (!rs.next()) {
                throw new SQLException("pg_stat_archiver returned no row");
            }
            return new Stats(rs.getLong(1), Optional.ofNullable(rs.getString(2)), time(rs, 3),
                    rs.getLong(4), Optional.ofNullable(rs.getString(5)), time(rs, 6));
        }
    }

    private static Optional<Instant> time(ResultSet rs, int column) throws SQLException {
        return Optional.ofNullable(rs.getObject(column, OffsetDateTime.class)).map(OffsetDateTime::toInstant);
    }
}
