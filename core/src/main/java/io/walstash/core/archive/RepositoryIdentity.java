package io.walstash.core.archive;

import io.walstash.core.repository.RepositoryMarker;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Whether a repository serves the PostgreSQL system a connection reaches: a repository pinned to
 * another system (by its marker) must not receive that server's backups.
 */
public final class RepositoryIdentity {
    private RepositoryIdentity() {
    }

    /**
     * Throws {@link ForeignRepositoryException} when {@code archive}'s repository is pinned to another
     * system than the server {@code connection} reaches; an empty repository serves any.
     */
    public static void requireServes(WalArchive archive, Connection connection) throws IOException, SQLException {
        Optional<RepositoryMarker> marker = archive.readMarker();
        if (marker.isEmpty()) {
            return;
        }
        String system = systemIdentifier(connection);
        String pinned = Long.toUnsignedString(marker.get().systemIdentifier());
        if (!pinned.equals(system)) {
            throw new ForeignRepositoryException("repository " + archive.storage().location() + " belongs to PostgreSQL system "
                    + pinned + ", but the server is system " + system + "; give each cluster its own storage prefix");
        }
    }

    /** The server's system identifier, as pg_control_system() gives it. */
    public static String systemIdentifier(Connection connection) throws SQLException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
