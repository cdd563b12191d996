package io.walstash.core.status;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How far a WAL receiver's slot is behind its server, as the server sees it: the receiver reports
 * a position as flushed only once storage acknowledged it, so the slot's restart position is what
 * the repository holds, and {@code pg_stat_replication.flush_lag} how long that took.
 *
 * @param streaming  whether a receiver is connected to the slot now
 * @param lagBytes   WAL the server has (written, or received on a standby) that the repository does not
 * @param lagSeconds the server's measure of the receiver's flush delay; empty when no receiver is
 *                   connected, 0 when it has caught up (the server clears the measure when idle)
 */
public record ReceiverLag(String slot, boolean streaming, long lagBytes, OptionalDouble lagSeconds) {

    /** The slot's lag, or empty when the server has no such physical slot. */
    public static Optional<ReceiverLag> query(Connection connection, String slot) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT r.active,"
                + " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
                + " ELSE pg_current_wal_lsn() END, r.restart_lsn)::bigint,"
                + " (SELECT extract(epoch FROM coalesce(p.flush_lag, interval '0'))::float8 FROM pg_stat_replication p"
                + " WHERE p.pid = r.active_pid)"
                + " FROM pg_replication_slots r WHERE r.slot_name = ? AND r.slot_type = 'physical'")) {
            s.setString(1, slot);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                boolean active = rs.getBoolean(1);
                long bytes = Math.max(0, rs.getLong(2));
                double seconds = rs.getDouble(3);
                boolean known = !rs.wasNull();
                return Optional.of(new ReceiverLag(slot, active, bytes,
                        active && known ? OptionalDouble.of(seconds) : OptionalDouble.empty()));
            }
        }
    }
}
