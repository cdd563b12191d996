package io.walstash.core.postgres;

import io.walstash.core.config.CoreSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A PostgreSQL cluster this process starts and stops with pg_ctl: listening on 127.0.0.1 on a
 * free port, its Unix socket in a private directory, trust authentication for the local
 * {@code postgres} role. Used by {@code walstash demo} and the tests; {@link #close()} always
 * stops it.
 */
public final class LocalCluster implements AutoCloseable {
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(5);

    private final PostgresBinaries binaries;
    private final OsUser user;
    private final Path dataDirectory;
    private final Path socketDirectory;
    private final int port;
    private boolean running;

    private LocalCluster(PostgresBinaries binaries, OsUser user, Path dataDirectory, Path socketDirectory, int port) {
        this.binaries = binaries;
        this.user = user;
        this.dataDirectory = dataDirectory;
        this.socketDirectory = socketDirectory;
        this.port = port;
    }

    /** Runs initdb into {@code dataDirectory} (which must not exist; its parent must be writable by {@code user}). */
    public static LocalCluster initdb(PostgresBinaries binaries, OsUser user, Path dataDirectory, Path socketDirectory)
            throws IOException {
        return initdb(binaries, user, dataDirectory, socketDirectory, List.of());
    }

    /** As {@link #initdb(PostgresBinaries, OsUser, Path, Path)}, with further initdb options such as {@code --wal-segsize=64}. */
    public static LocalCluster initdb(PostgresBinaries binaries, OsUser user, Path dataDirectory, Path socketDirectory,
                                      List<String> initdbOptions) throws IOException {
        List<String> command = new ArrayList<>(List.of(binaries.tool("initdb").toString(), "-D", dataDirectory.toString(),
                "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--data-checksums", "--no-sync"));
        command.addAll(initdbOptions);
        Processes.run(user.wrap(command), Map.of(), TOOL_TIMEOUT);
        return new LocalCluster(binaries, user, dataDirectory, socketDirectory, freePort());
    }

    /** A data directory made by other means (pg_basebackup, a restore), to be started here. */
    public static LocalCluster existing(PostgresBinaries binaries, OsUser user, Path dataDirectory, Path socketDirectory)
            throws IOException {
        return new LocalCluster(binaries, user, dataDirectory, socketDirectory, freePort());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Appends settings to postgresql.conf; later lines win, so this overrides earlier values. */
    public void configure(Map<String, String> settings) throws IOException {
        StringBuilder text = new StringBuilder("\n# added by walstash\n");
        settings.forEach((name, value) -> text.append(name).append(" = '").append(value.replace("'", "''")).append("'\n"));
        Files.writeString(dataDirectory.resolve("postgresql.conf"), text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** Starts the server and waits until it accepts connections. */
    public void start() throws IOException {
        start(Map.of());
    }

    /**
     * Starts the server with {@code settings} given on its command line, where they override every
     * configuration file (names and values without white space or quotes), and waits until it
     * accepts connections.
     */
    public void start(Map<String, String> settings) throws IOException {
        start(settings, Map.of());
    }

    /** As {@link #start(Map)}, with {@code environment} added to the server's (and so to its archive and restore commands'). */
    public void start(Map<String, String> settings, Map<String, String> environment) throws IOException {
        StringBuilder options = new StringBuilder("-p " + port + " -c listen_addresses=127.0.0.1 -k " + socketDirectory);
        settings.forEach((name, value) -> {
            if (!(name + value).matches("[A-Za-z0-9_./:=,@+-]*")) {
                throw new IllegalArgumentException("server setting " + name + " = '" + value + "' can't be passed to pg_ctl -o");
            }
            options.append(" -c ").append(name).append('=').append(value);
        });
        List<String> command = new ArrayList<>(List.of(binaries.tool("pg_ctl").toString(), "-D", dataDirectory.toString(),
                "-l", logFile().toString(), "-w", "-t", "300", "start", "-o", options.toString()));
        // from here on close() must try to stop it: pg_ctl may give up waiting on a server that did start
        running = true;
        try {
            Processes.run(user.wrap(command), environment, TOOL_TIMEOUT);
        } catch (IOException e) {
            throw new IOException(e.getMessage() + " | server log: " + Processes.tail(readLog()), e);
        }
    }

    /**
     * Runs one SQL statement with psql through the server's Unix socket as {@code role}; returns
     * the unaligned, tuples-only output. The socket directory decides who can connect, so a
     * server configured for local trust is reachable by this process only.
     */
    public String psql(String role, String database, String sql) throws IOException {
        return Processes.run(user.wrap(List.of(binaries.tool("psql").toString(), "-X", "-A", "-t", "-q",
                "-v", "ON_ERROR_STOP=1", "-h", socketDirectory.toString(), "-p", Integer.toString(port),
                "-U", role, "-d", database, "-c", sql)), Map.of(), TOOL_TIMEOUT).strip();
    }

    /** Stops the server (fast shutdown) and waits; stopping a stopped cluster does nothing. */
    public void stop() throws IOException {
        if (!running) {
            return;
        }
        Processes.run(user.wrap(List.of(binaries.tool("pg_ctl").toString(), "-D", dataDirectory.toString(),
                "-m", "fast", "-w", "-t", "120", "stop")), Map.of(), TOOL_TIMEOUT);
        running = false;
    }

    /** Runs a client tool (pgbench, pg_basebackup, psql …) against this server as the cluster's OS user. */
    public String runTool(String tool, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binaries.tool(tool).toString());
        command.addAll(List.of(arguments));
        return Processes.run(user.wrap(command), Map.of(CoreSettings.PGHOST.name(), "127.0.0.1",
                CoreSettings.PGPORT.name(), Integer.toString(port), CoreSettings.PGUSER.name(), "postgres"), TOOL_TIMEOUT);
    }

    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /**
     * Switches to a new WAL segment and waits until the segment switched out is archived; returns
     * its name. Fails when archiving reports a failure or doesn't get there within {@code timeout}.
     */
    public String switchWalAndWaitForArchive(Duration timeout) throws IOException, SQLException {
        String segment;
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
            rs.next();
            segment = rs.getString(1);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection c = connect(); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet rs = s.executeQuery("SELECT coalesce(last_archived_wal, ''), failed_count,"
                        + " coalesce(last_failed_wal, '') FROM pg_stat_archiver")) {
                    rs.next();
                    String last = rs.getString(1);
                    if (rs.getLong(2) > 0) {
                        throw new IOException("archive_command failed for " + rs.getString(3) + " | server log: "
                                + Processes.tail(readLog()));
                    }
                    // Names of one timeline sort like their positions in the WAL.
                    if (last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0) {
                        return segment;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException(segment + " was not archived within " + timeout.toSeconds() + " s");
                }
                pause();
            }
        }
    }

    /** Waits until the server has left recovery (reached the end of the archive and promoted). */
    public void waitForRecoveryEnd(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Connection c = connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return;
                }
            } catch (SQLException e) {
                // still starting up or in a recovery phase that refuses connections: keep polling
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("recovery did not finish within " + timeout.toSeconds() + " s | server log: "
                        + Processes.tail(readLog()));
            }
            pause();
        }
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(100); // polling interval of a bounded wait on a server-side condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    public int port() {
        return port;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public Path logFile() {
        return dataDirectory.resolveSibling(dataDirectory.getFileName() + ".log");
    }

    public String readLog() {
        try {
            return Files.readString(logFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no server log: " + e.getMessage() + ")";
        }
    }

    /** Stops the server; if a fast shutdown fails, an immediate one so no server outlives its owner. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        try {
            stop();
        } catch (IOException fast) {
            try {
                Processes.run(user.wrap(List.of(binaries.tool("pg_ctl").toString(), "-D", dataDirectory.toString(),
                        "-m", "immediate", "-w", "stop")), Map.of(), TOOL_TIMEOUT);
            } catch (IOException ignored) {
                // nothing more can be done; the fast-stop failure is what the caller should see in logs
            }
            running = false;
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL at 127.0.0.1:" + port + " (" + dataDirectory + ")";
    }
}
