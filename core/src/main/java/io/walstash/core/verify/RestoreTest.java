package io.walstash.core.verify;

import io.walstash.core.backup.BackupFetch;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.RecoveryTarget;
import io.walstash.core.codec.Codecs;
import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Proves a backup restores: fetches it into a temporary directory, recovers it to consistency
 * ({@code recovery_target = 'immediate'}, WAL through {@code restoreCommand}), starts PostgreSQL on
 * a free 127.0.0.1 port, waits (bounded) for recovery to end, asks every database that accepts
 * connections how many relations it has, then stops the server and removes the directory, whatever
 * happened.
 *
 * <p>The restored server must not touch anything of the original: archiving is switched off (its
 * archive_command would push a new timeline into the repository), tablespaces are restored inside
 * the temporary directory, {@code data_directory} is forced to it, and only local connections
 * through a socket directory only the server's OS user can enter are trusted (its own pg_hba.conf).
 */
public final class RestoreTest {
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    /**
     * @param restoreCommand the restore_command the server fetches WAL with
     * @param role           the role to connect as (the cluster's superuser; libpq's PGUSER)
     * @param parent         where the temporary directory goes
     * @param timeout        how long recovery may take
     */
    public record Settings(PostgresBinaries binaries, OsUser user, String restoreCommand, String role, Path parent,
                           Duration timeout, int concurrency) {
        public Settings {
            Objects.requireNonNull(binaries, "binaries");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(restoreCommand, "restoreCommand");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(parent, "parent");
            Objects.requireNonNull(timeout, "timeout");
        }
    }

    /** {@code passed}, with what the server answered or why it failed (one line), and how long it took. */
    public record Result(boolean passed, String detail, Duration took) {
    }

    private final Storage storage;
    private final Codecs codecs;
    private final Settings settings;
    private final PrintWriter log;

    public RestoreTest(Storage storage, Codecs codecs, Settings settings, PrintWriter log) {
        this.storage = storage;
        this.codecs = codecs;
        this.settings = settings;
        this.log = log;
    }

    public Result run(BackupManifest backup) throws IOException {
        long started = System.nanoTime();
        Path work = Files.createTempDirectory(settings.parent(), "walstash-restore-test-");
        try {
            String answer = restoreAndQuery(backup, work);
            return new Result(true, answer, Duration.ofNanos(System.nanoTime() - started));
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Result(false, message.lines().findFirst().orElse(message),
                    Duration.ofNanos(System.nanoTime() - started));
        } finally {
            FileTrees.delete(work);
        }
    }

    private String restoreAndQuery(BackupManifest backup, Path work) throws IOException {
        int major = backup.postgresVersion() >= 100_000 ? backup.postgresVersion() / 10_000 : backup.postgresVersion();
        int binariesMajor = settings.binaries().majorVersion();
        if (major > 0 && major != binariesMajor) {
            throw new IOException("backup " + backup.name() + " is of PostgreSQL " + major + ", but the binaries in "
                    + settings.binaries().directory() + " are PostgreSQL " + binariesMajor + "; set PG_BIN");
        }
        Files.setPosixFilePermissions(work, PRIVATE);
        settings.user().own(work);
        Path data = work.resolve("data");
        Path sockets = Files.createDirectory(work.resolve("socket"));
        Files.setPosixFilePermissions(sockets, PRIVATE);
        settings.user().own(sockets);
        Map<String, Path> tablespaces = new HashMap<>();
        for (String oid : backup.tablespaces().keySet()) {
            tablespaces.put(oid, work.resolve("tablespaces").resolve(oid));
        }
        new BackupFetch(storage, codecs, log).fetch(backup,
                new BackupFetch.Options(data, false, tablespaces, settings.concurrency()));
        new RecoveryTarget(RecoveryTarget.Kind.IMMEDIATE, null, "promote", null).writeTo(data, settings.restoreCommand());
        Path hba = work.resolve("pg_hba.conf");
        Files.writeString(hba, "# walstash restore test: the socket directory is private to the server's OS user\n"
                + "local all all trust\n");
        if (!Files.exists(data.resolve("postgresql.conf"))) {
            Files.writeString(data.resolve("postgresql.conf"), ""); // kept outside PGDATA on the source (Debian)
        }
        ownTree(work);
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("archive_mode", "off");
        overrides.put("data_directory", data.toString());
        overrides.put("hba_file", hba.toString());
        overrides.put("logging_collector", "off");
        try (LocalCluster cluster = LocalCluster.existing(settings.binaries(), settings.user(), data, sockets)) {
            log.printf("walstash: restore test of %s: starting PostgreSQL on 127.0.0.1:%d%n", backup.name(), cluster.port());
            log.flush();
            cluster.start(overrides);
            waitForRecoveryEnd(cluster);
            List<String> databases = cluster.psql(settings.role(), "template1",
                    "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname").lines()
                    .filter(l -> !l.isBlank()).toList();
            long relations = 0;
            for (String database : databases) {
                relations += Long.parseLong(cluster.psql(settings.role(), database,
                        "SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p', 'm')"));
            }
            String answer = "recovered to consistency and answered: " + databases.size() + " databases, "
                    + relations + " tables";
            cluster.stop();
            return answer;
        }
    }

    private void waitForRecoveryEnd(LocalCluster cluster) throws IOException {
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        while (true) {
            String state;
            try {
                state = cluster.psql(settings.role(), "template1", "SELECT pg_is_in_recovery()");
            } catch (IOException e) {
                state = "unreachable: " + e.getMessage();
            }
            if (state.equals("f")) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("recovery did not end within " + settings.timeout().toSeconds() + " s ("
                        + state.lines().findFirst().orElse(state) + ") | server log: " + tail(cluster.readLog()));
            }
            try {
                Thread.sleep(200); // polling interval of a bounded wait on the server's state
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private void ownTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.toList()) {
                if (!Files.isSymbolicLink(p)) {
                    settings.user().own(p);
                }
            }
        }
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    }
}
