package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** A PgJDBC connection configured like libpq: PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE with libpq's defaults. */
final class PostgresConnection {
    private PostgresConnection() {
    }

    static Connection open(Settings settings) throws SQLException {
        return open(settings, new Properties());
    }

    /** A physical replication connection (for streaming WAL): {@code replication=true}, simple query mode. */
    static Connection openReplication(Settings settings) throws SQLException {
        Properties replication = new Properties();
        replication.setProperty("replication", "true");
        replication.setProperty("preferQueryMode", "simple");
        replication.setProperty("assumeMinServerVersion", "9.4");
        return open(settings, replication);
    }

    private static Connection open(Settings settings, Properties extra) throws SQLException {
        String host = CoreSettings.PGHOST.get(settings);
        if (host.startsWith("/")) {
            throw new IllegalArgumentException(CoreSettings.PGHOST + "=" + host + " is a Unix socket directory, which PgJDBC can't use;"
                    + " set " + CoreSettings.PGHOST + " to a TCP host such as 127.0.0.1");
        }
        String port = CoreSettings.PGPORT.get(settings);
        if (!port.matches("\\d{1,5}")) {
            throw new IllegalArgumentException(CoreSettings.PGPORT + " must be a port number, not " + port);
        }
        String user = CoreSettings.PGUSER.find(settings).orElse(System.getProperty("user.name"));
        String database = CoreSettings.PGDATABASE.find(settings).orElse(user);
        Properties properties = new Properties();
        properties.setProperty("user", user);
        CoreSettings.PGPASSWORD.find(settings).ifPresent(p -> properties.setProperty("password", p));
        properties.setProperty("ApplicationName", "walstash");
        properties.setProperty("connectTimeout", "30");
        properties.putAll(extra);
        return DriverManager.getConnection(url(host, port, database), properties);
    }

    /**
     * The JDBC URL for {@code database} on {@code host}:{@code port}. PgJDBC URL-decodes the database
     * name and reads everything after a '?' as connection properties, so the name is encoded: a
     * PGDATABASE such as {@code x?sslmode=disable} names a database, it does not turn off TLS.
     */
    static String url(String host, String port, String database) {
        if (!host.matches("[A-Za-z0-9._:-]+|\\[[0-9A-Fa-f:.%]+\\]")) {
            throw new IllegalArgumentException(CoreSettings.PGHOST + " must be a host name or address, not " + host);
        }
        String bracketed = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + bracketed + ":" + port + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8);
    }
}
