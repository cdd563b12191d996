package io.walstash.core.postgres;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The PostgreSQL major versions walstash supports: 13 to 17. Each differs where walstash looks (WAL
 * page magic, backup functions before and from 15, recovery settings, control file), and 13, 15 and
 * 17 run the end-to-end suite in CI; 14 and 16 share their neighbours' code paths. Anything else is
 * refused before any work starts, by major version only: a minor release never is (pgBackRest 2.52
 * refused PostgreSQL 17.2 for its minor number).
 */
public final class PostgresVersions {
    public static final int OLDEST = 13;
    public static final int NEWEST = 17;

    private PostgresVersions() {
    }

    /** The major version of a {@code server_version_num} (130016 → 13; 90624, 9.6, → 9). */
    public static int major(int serverVersionNum) {
        if (serverVersionNum <= 0) {
            throw new IllegalArgumentException("not a server_version_num: " + serverVersionNum);
        }
        return serverVersionNum / 10_000; // 9.6.24 is 90624: its first figure, as for 10 and later
    }

    /** {@code major}, when walstash supports it. */
    public static int requireSupported(int major) {
        if (major < OLDEST || major > NEWEST) {
            throw new UnsupportedVersionException(major);
        }
        return major;
    }

    /** The server's major version, when walstash supports it. */
    public static int requireSupported(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            return requireSupported(major(rs.getInt(1)));
        }
    }

    /** A PostgreSQL major version outside {@link #OLDEST}..{@link #NEWEST}. */
    public static final class UnsupportedVersionException extends IllegalArgumentException {
        private final int major;

        UnsupportedVersionException(int major) {
            super("PostgreSQL " + major + " is not supported: walstash supports PostgreSQL " + OLDEST + " to " + NEWEST
                    + (major > NEWEST ? " (a newer major version changes WAL, control file or backup functions;"
                    + " use a walstash release that supports it)" : ""));
            this.major = major;
        }

        public int major() {
            return major;
        }
    }
}
