package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.TimelineHistory;
import io.walstash.core.wal.WalSegmentSize;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * wal-receive against real PostgreSQL, started through the launcher as PostgreSQL's OS user: a
 * primary with 1 MiB segments (so a few seconds of writes cross several), archiving with wal-push
 * beside the receiver and archive_timeout off, and a streaming standby. The receiver is killed -9
 * mid-segment several times, the primary crashes, and a new cluster recovered from the repository
 * alone holds every commit acknowledged more than the sync interval before the crash. A receiver
 * following the standby follows its promotion to a new timeline.
 */
@Timeout(value = 6, unit = java.util.concurrent.TimeUnit.MINUTES)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WalReceiveIT {
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final Duration SYNC_INTERVAL = Duration.ofSeconds(1);
    private static final Pattern STREAMING = Pattern.compile("walstash: receiving WAL from slot \\S+ on timeline");
    private static final Pattern FAILED = Pattern.compile("walstash: receiving WAL from slot \\S+ failed");

    private static final String BEHIND_SLOT = "receiver_behind";

    private ReplicaPair pair;
    /** The segment holding the restart position of {@link #BEHIND_SLOT} when it was made. */
    private String behindFrom;
    private Path work;
    private Path repository;
    private OsUser user;
    private PostgresBinaries binaries;
    private LocalCluster primary;
    private LocalCluster standby;

    @BeforeAll
    void startPair() throws Exception {
        pair = ReplicaPair.start("walstash-receive-it-", List.of("--wal-segsize=1"), Map.of("archive_mode", "off"));
        work = pair.work();
        repository = pair.repository();
        user = pair.user();
        binaries = pair.binaries();
        primary = pair.primary();
        standby = pair.standby();
        // the standby's WAL reaches a repository through a receiver only; this slot's receiver starts
        // only after the standby's promotion, all of the first test's WAL behind on the old timeline
        try (Connection c = standby.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT lsn::text FROM pg_create_physical_replication_slot('"
                     + BEHIND_SLOT + "', true)")) {
            rs.next();
            // pg_walfile_name() is not allowed during recovery; the standby is on timeline 1
            behindFrom = SegmentFileName.containing(1, io.walstash.core.wal.Lsn.parse(rs.getString(1)),
                    WalSegmentSize.ofBytes(1 << 20)).fileName();
        }
    }

    @AfterAll
    void stopPair() throws Exception {
        pair.close();
    }

    private BackgroundLauncher receiver(LocalCluster server, Path repo, String slot, String log) throws Exception {
        return BackgroundLauncher.start(user, Launcher.libpqEnvironment(repo, server), work.resolve(log),
                "wal-receive", "--slot", slot, "--sync-interval", SYNC_INTERVAL.toMillis() + "ms");
    }

    @Test
    @Order(1)
    void killedReceiversAndACrashedPrimaryLoseNoCommitOlderThanTheSyncInterval() throws Exception {
        execute(primary, "CREATE TABLE marks (id bigint PRIMARY KEY, pad text)");
        BackgroundLauncher receiver = receiver(primary, repository, "receiver_primary", "receive1.log");
        receiver.awaitOutput(STREAMING, 1, WAIT);

        Processes.Outcome second = Launcher.run(user, Launcher.libpqEnvironment(repository, primary), "wal-receive",
                "--slot", "receiver_primary");
        assertThat(second.exitCode()).as(second.output()).isEqualTo(ExitCode.SLOT_BUSY.code());
        assertThat(second.output().lines().filter(l -> l.startsWith("walstash: error: ")).toList())
                .singleElement().asString().contains("receiver_primary").contains("is active");

        Processes.Outcome backup = Launcher.run(user, Launcher.libpqEnvironment(repository, primary), "backup-push",
                primary.dataDirectory().toString(), "--full");
        assertThat(backup.exitCode()).as(backup.output()).isZero();

        Map<Long, Instant> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeMarks(acknowledged, writing));
        try {
            for (int kill = 0; kill < 3; kill++) {
                awaitNewPartial(receiver);
                receiver.kill9(); // in the middle of a segment: a partial of it was just stored
                awaitSlotReleased(primary, "receiver_primary");
                receiver = receiver(primary, repository, "receiver_primary", "receive1.log");
                receiver.awaitOutput(STREAMING, kill + 2, WAIT);
            }
            awaitNewPartial(receiver);
            Processes.Outcome status = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository,
                    "PGHOST", "127.0.0.1", "PGPORT", Integer.toString(primary.port()), "PGUSER", "postgres",
                    "WALSTASH_RECEIVE_SLOT", "receiver_primary"), "status");
            assertThat(status.output()).as(status.output())
                    .containsPattern("wal receiver +slot receiver_primary: streaming, \\d+ bytes behind, flush lag \\d+\\.\\d+ s");
            Processes.Outcome metrics = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository,
                    "PGHOST", "127.0.0.1", "PGPORT", Integer.toString(primary.port()), "PGUSER", "postgres",
                    "WALSTASH_RECEIVE_SLOT", "receiver_primary"), "status", "--prometheus");
            assertThat(metrics.output()).as(metrics.output())
                    .containsPattern("(?m)^walstash_receiver_streaming\\{storage=\"[^\"]+\",slot=\"receiver_primary\"\\} 1$")
                    .containsPattern("(?m)^walstash_receiver_lag_bytes\\{storage=\"[^\"]+\",slot=\"receiver_primary\"\\} \\d+$");

            Instant crash = Instant.now();
            primary.runTool("pg_ctl", "-D", primary.dataDirectory().toString(), "-m", "immediate", "-w", "stop");
            writing.set(false);
            writer.handle((ok, failed) -> null).get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
            receiver.awaitOutput(FAILED, 1, WAIT); // it stored what it had received before it reports the failure
            receiver.kill9();

            Set<Long> required = acknowledged.entrySet().stream()
                    .filter(e -> e.getValue().isBefore(crash.minus(SYNC_INTERVAL))).map(Map.Entry::getKey)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(required).as("commits acknowledged before the crash").hasSizeGreaterThan(100);

            Path target = work.resolve("recovered");
            Processes.Outcome restore = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository), "restore",
                    target.toString(), "LATEST");
            assertThat(restore.exitCode()).as(restore.output()).isZero();
            try (LocalCluster recovered = LocalCluster.existing(binaries, user, target, work)) {
                recovered.configure(Map.of("archive_mode", "off"));
                recovered.start();
                recovered.waitForRecoveryEnd(WAIT);
                Set<Long> present = new HashSet<>();
                try (Connection c = recovered.connect(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT id FROM marks")) {
                    while (rs.next()) {
                        present.add(rs.getLong(1));
                    }
                }
                Set<Long> missing = new TreeSet<>(required);
                missing.removeAll(present);
                assertThat(missing).as("commits acknowledged more than %s before the crash, missing after recovery",
                        SYNC_INTERVAL).isEmpty();
                // the end of the archive came from a streamed partial: archive_command never saw that segment
                String log = recovered.readLog();
                List<String> fromPartials = Pattern.compile("restored log file \"([0-9A-F]{24})\" from archive")
                        .matcher(log).results().map(m -> m.group(1))
                        .filter(name -> !Files.exists(repository.resolve("wal").resolve(name + ".zst"))).toList();
                assertThat(fromPartials).as(log).isNotEmpty();
                assertThat(repository.resolve("stream").resolve(fromPartials.get(0))).isDirectory();
                recovered.stop();
            }
            // the receiver stored whole segments as wal-push does: pushing one again finds it identical
            Path segment;
            try (Stream<Path> files = Files.list(primary.dataDirectory().resolve("pg_wal"))) {
                segment = files.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")).sorted()
                        .filter(p -> Files.exists(repository.resolve("wal").resolve(p.getFileName() + ".zst")))
                        .reduce((a, b) -> b).orElseThrow();
            }
            Processes.Outcome again = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository,
                    "WALSTASH_LOOKAHEAD", "0"), "wal-push", segment.toString());
            assertThat(again.exitCode()).as(again.output()).isZero();
            assertThat(again.output()).contains("already archived");
        } finally {
            writing.set(false);
            receiver.close();
        }
    }

    @Test
    @Order(2)
    void aReceiverFollowingAStandbyStoresTheHistoryFileAndTheNewTimelineWhenItIsPromoted() throws Exception {
        Path repository2 = work.resolve("repository2");
        try (BackgroundLauncher receiver = receiver(standby, repository2, "receiver_standby", "receive2.log")) {
            receiver.awaitOutput(STREAMING, 1, WAIT);
            awaitSlotCaughtUp(standby, "receiver_standby");
            standby.runTool("pg_ctl", "-D", standby.dataDirectory().toString(), "-w", "promote");
            standby.waitForRecoveryEnd(WAIT);
            String switched;
            try (Connection c = standby.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE after_promotion AS SELECT g FROM generate_series(1, 1000) g");
                try (ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
                    rs.next();
                    switched = rs.getString(1);
                }
            }
            assertThat(switched).startsWith("00000002");
            Path stored = repository2.resolve("wal").resolve(switched + ".zst");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.exists(stored)) {
                assertThat(System.nanoTime()).as("%s stored; receiver: %s", switched, receiver.output()).isLessThan(deadline);
                Thread.sleep(50); // polling interval of a bounded wait on the receiver
            }
            assertThat(receiver.output()).contains("following timeline 2");
            Path history = work.resolve("fetched.history");
            Processes.Outcome fetch = Launcher.run(user, Map.of("WALSTASH_STORAGE", "file://" + repository2), "wal-fetch",
                    "00000002.history", history.toString());
            assertThat(fetch.exitCode()).as(fetch.output()).isZero();
            assertThat(Files.readString(history))
                    .isEqualTo(Files.readString(standby.dataDirectory().resolve("pg_wal/00000002.history")));
        }

        // A receiver that was behind when the standby was promoted: the server streams timeline 2
        // only from the segment where it began, so the rest of timeline 1 comes from timeline 1
        TimelineHistory history = TimelineHistory.parse(2,
                Files.readString(standby.dataDirectory().resolve("pg_wal/00000002.history")));
        WalSegmentSize size = WalSegmentSize.ofBytes(1 << 20);
        SegmentFileName switchSegment = SegmentFileName.containing(1, history.switchPoint(1).orElseThrow(), size);
        SegmentFileName first = SegmentFileName.parse(behindFrom);
        assertThat(first.segmentNumber(size)).as("the slot kept timeline 1's WAL from %s", first)
                .isLessThan(switchSegment.segmentNumber(size) - 2);
        Path repository3 = work.resolve("repository3");
        try (BackgroundLauncher receiver = receiver(standby, repository3, BEHIND_SLOT, "receive3.log")) {
            receiver.awaitOutput(Pattern.compile("walstash: receiving WAL from slot " + BEHIND_SLOT + " on timeline 2"), 1, WAIT);
            awaitSlotCaughtUp(standby, BEHIND_SLOT);
            assertThat(receiver.output()).contains("stored timeline 1 up to " + switchSegment);
            for (SegmentFileName s = first; s.compareTo(switchSegment) < 0; s = s.next(size)) {
                assertThat(repository3.resolve("wal").resolve(s.fileName() + ".zst")).as(receiver.output()).exists();
            }
        }
        try (Connection c = standby.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
            rs.next();
            Path stored = repository3.resolve("wal").resolve(rs.getString(1) + ".zst");
            assertThat(rs.getString(1)).startsWith("00000002");
            try (BackgroundLauncher receiver = receiver(standby, repository3, BEHIND_SLOT, "receive4.log")) {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!Files.exists(stored)) {
                    assertThat(System.nanoTime()).as("%s stored; receiver: %s", stored, receiver.output()).isLessThan(deadline);
                    Thread.sleep(50); // polling interval of a bounded wait on the receiver
                }
            }
        }
    }

    /** Inserts marks with ~1 kB of padding as fast as one session can, recording when each commit returned. */
    private void writeMarks(Map<Long, Instant> acknowledged, AtomicBoolean writing) {
        try (Connection c = primary.connect();
             PreparedStatement insert = c.prepareStatement("INSERT INTO marks VALUES (?, repeat(md5(?::text), 32))")) {
            for (long id = 1; writing.get(); id++) {
                insert.setLong(1, id);
                insert.setLong(2, id);
                insert.executeUpdate();
                acknowledged.put(id, Instant.now());
            }
        } catch (SQLException e) {
            if (writing.get()) {
                throw new IllegalStateException(e); // only the crash may end the writer
            }
        }
    }

    /** Waits (bounded) until the receiver stored a streamed partial that was not there when called. */
    private void awaitNewPartial(BackgroundLauncher receiver) throws Exception {
        Set<Path> before = partials();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (before.containsAll(partials())) {
            assertThat(System.nanoTime()).as("a new streamed partial; receiver: %s", receiver.output()).isLessThan(deadline);
            Thread.sleep(20); // polling interval of a bounded wait on the receiver
        }
    }

    private Set<Path> partials() throws Exception {
        Path stream = repository.resolve("stream");
        if (!Files.isDirectory(stream)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.walk(stream)) {
            return files.filter(Files::isRegularFile).collect(Collectors.toSet());
        } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
            return Set.of(); // a folder deleted while walked: the next poll looks again
        }
    }

    /** Waits (bounded) until the server noticed the killed receiver's connection is gone. */
    private static void awaitSlotReleased(LocalCluster server, String slot) throws Exception {
        awaitTrue(server, "SELECT NOT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    }

    /** Waits (bounded) until the slot holds everything the standby has: the receiver stored it all. */
    private static void awaitSlotCaughtUp(LocalCluster server, String slot) throws Exception {
        awaitTrue(server, "SELECT restart_lsn >= greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())"
                + " FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
    }

    private static void awaitTrue(LocalCluster server, String sql) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (Connection c = server.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                if (rs.next() && rs.getBoolean(1)) {
                    return;
                }
            }
            assertThat(System.nanoTime()).as(sql).isLessThan(deadline);
            Thread.sleep(50); // polling interval of a bounded wait on the server
        }
    }

    private static void execute(LocalCluster cluster, String sql) throws Exception {
        try (Connection c = cluster.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
