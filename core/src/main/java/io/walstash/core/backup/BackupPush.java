package io.walstash.core.backup;

import io.walstash.core.concurrent.ThreadPools;
import io.walstash.core.progress.WorkProgress;
import io.walstash.core.codec.Codec;
import io.walstash.core.repository.RepositoryLayout;
import io.walstash.core.storage.Storage;
import io.walstash.core.repository.WalFolder;
import io.walstash.core.repository.WalIndex;
import io.walstash.core.wal.BackupHistoryFileName;
import io.walstash.core.wal.Lsn;
import io.walstash.core.wal.SegmentFileName;
import io.walstash.core.wal.WalSegmentSize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Takes a base backup of a running cluster: a non-exclusive backup in one session
 * (pg_backup_start/pg_backup_stop, or pg_start_backup/pg_stop_backup before PostgreSQL 15), the
 * data directory read in parallel while it runs, and the manifest written last.
 */
public final class BackupPush {
    /**
     * Large enough that a part's own codec stream costs no measurable ratio, small enough that a
     * 1 GiB relation segment (or pgbench scale 30's 400 MB table) splits into parts for every thread.
     */
    public static final long DEFAULT_PART_SIZE = 32L << 20;
    /**
     * Files up to this size are stored together in bundles (pgBackRest's repo-bundle-limit is
     * 2 MiB): most files of a data directory are a few KiB, and a restore of a thousand of them
     * spent more time opening, decoding and checking a thousand objects than writing them.
     */
    public static final long DEFAULT_BUNDLE_LIMIT = 1L << 20;
    /**
     * A bundle is closed at this many plain bytes or files: small enough that the bundles of a
     * small cluster (about 25 MB in a thousand files) spread over a restore's threads.
     */
    static final long BUNDLE_PLAIN_BYTES = 8L << 20;
    static final int BUNDLE_FILES = 1000;
    private static final String CONTROL_FILE = "global/pg_control";
    /** How often a backup from a standby looks for its stop segment in the repository. */
    private static final Duration ARCHIVE_POLL = Duration.ofMillis(500);
    /** The longest pause between two looks at archive_status: an archive_command takes tens of ms to seconds. */
    private static final Duration ARCHIVE_COMMAND_POLL_MAX = Duration.ofMillis(100);
    private static final Duration ARCHIVE_COMMAND_TELL_AFTER = Duration.ofSeconds(5);

    /**
     * @param deltaMaxSteps how many deltas may follow a full backup; 0 takes full backups only
     * @param stopTimeout   how long pg_backup_stop may wait for the WAL it needs to be archived
     * @param deltaFromLatestFull base a delta on the latest full backup instead of the latest backup
     */
    public record Options(java.nio.file.Path dataDirectory, boolean full, boolean permanent, int deltaMaxSteps,
                          int concurrency, Duration stopTimeout, boolean failOnCorruptPages, boolean deltaFromLatestFull) {
        public Options {
            if (concurrency < 1) {
                throw new IllegalArgumentException("upload concurrency must be at least 1, got " + concurrency);
            }
            if (deltaMaxSteps < 0) {
                throw new IllegalArgumentException("delta max steps must not be negative, got " + deltaMaxSteps);
            }
        }
    }

    /**
     * How files are cut into objects.
     *
     * @param partSize    files longer than this are stored in parts of this many plain bytes, each
     *                    compressed on its own, so that a restore decompresses them in parallel
     * @param bundleLimit files up to this size are stored together in bundles (0: each file its own
     *                    object, as walstash wrote backups before manifest format 5)
     */
    public record ObjectSizes(long partSize, long bundleLimit) {
        public static final ObjectSizes DEFAULTS = new ObjectSizes(DEFAULT_PART_SIZE, DEFAULT_BUNDLE_LIMIT);

        public ObjectSizes {
            if (partSize < 1) {
                throw new IllegalArgumentException("part size must be positive, got " + partSize);
            }
            if (bundleLimit < 0) {
                throw new IllegalArgumentException("bundle limit must not be negative, got " + bundleLimit);
            }
        }
    }

    private final Storage storage;
    private final Codec codec;
    private final String writer;
    private final PrintWriter log;
    private final Clock clock;
    private final ObjectSizes sizes;
    private final String walDirectoryHint;
    private final WorkProgress progress;

    public BackupPush(Storage storage, Codec codec, String writer, PrintWriter log, Clock clock) {
        this(storage, codec, writer, log, clock, ObjectSizes.DEFAULTS, "unless given a WAL directory", WorkProgress.NONE);
    }

    /**
     * @param walDirectoryHint how a restore is told to put pg_wal elsewhere, in the front end's terms
     *                         (the log line about a pg_wal that is a link ends with it)
     * @param progress         told of each file backed up (its size on disk, whether sent whole, as a
     *                         delta or not at all)
     */
    public BackupPush(Storage storage, Codec codec, String writer, PrintWriter log, Clock clock, ObjectSizes sizes,
                      String walDirectoryHint, WorkProgress progress) {
        this.storage = storage;
        this.codec = codec;
        this.writer = writer;
        this.log = log;
        this.clock = clock;
        this.sizes = sizes;
        this.walDirectoryHint = walDirectoryHint;
        this.progress = progress;
    }

    /** Pages failed their checksum and the caller asked to fail then; no manifest was written. */
    public static final class CorruptPagesException extends IOException {
        public CorruptPagesException(String message) {
            super(message);
        }
    }

    /**
     * @param standby whether the server is a hot standby: its WAL is archived by the primary, it
     *                cannot switch WAL, and the WAL functions that name files refuse to run in recovery
     */
    private record Server(int versionNum, String systemIdentifier, boolean checksums, int blockSize, boolean standby,
                          WalSegmentSize segmentSize) {
    }

    /** The standby a backup was being taken from was promoted (or left its timeline): the backup is not committed. */
    public static final class StandbyPromotedException extends IOException {
        public StandbyPromotedException(String message) {
            super(message);
        }
    }

    public BackupManifest push(Connection connection, Options options) throws IOException, SQLException {
        Server server = inspect(connection, options);
        BackupCatalog catalog = new BackupCatalog(storage);
        BackupManifest base = chooseBase(catalog, options, server);

        Instant startTime = clock.instant();
        Lsn startLsn;
        String label = "walstash " + startTime;
        try (PreparedStatement s = connection.prepareStatement(server.versionNum() >= 150000
                ? "SELECT pg_backup_start(?, true)::text" : "SELECT pg_start_backup(?, true, false)::text")) {
            s.setString(1, label);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                startLsn = Lsn.parse(rs.getString(1));
            }
        }
        long timeline;
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
            rs.next();
            // the control file's checkpoint (on a standby: the restartpoint the backup starts from)
            timeline = rs.getLong(1);
        }
        // named here, not by pg_walfile_name(), which refuses to run on a standby
        String startWalFile = SegmentFileName.containing(timeline, startLsn, server.segmentSize()).fileName();
        if (server.standby()) {
            log.printf("walstash: the server is a standby: backup from its restartpoint at %s on timeline %d;"
                    + " its WAL comes from the primary's archive%n", startLsn, timeline);
        }
        if (base != null && base.timeline() != timeline) {
            log.printf("walstash: backup %s is on timeline %d, the server on %d: taking a full backup instead of a delta%n",
                    base.name(), base.timeline(), timeline);
            base = null;
        }
        // WAL-G's name; a run that started in the same segment already has it: the claim picks another
        BackupClaim claim = BackupClaim.take(storage, "base_" + startWalFile + (base == null ? "" : "_D_" + base.startWalFile()),
                writer, log);
        String name = claim.name();
        try {
            return take(connection, options, server, catalog, base, name, startLsn, startTime, timeline, startWalFile);
        } catch (IOException | SQLException | RuntimeException e) {
            try {
                claim.discard(); // only this run's objects: the folder is its own
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private BackupManifest take(Connection connection, Options options, Server server, BackupCatalog catalog,
                                BackupManifest base, String name, Lsn startLsn, Instant startTime, long timeline,
                                String startWalFile) throws IOException, SQLException {
        log.printf("walstash: backup %s started at %s (%s)%n", name, startLsn,
                base == null ? "full" : "delta of " + base.name());
        log.flush();

        DataDirectoryFiles.Listing listing = DataDirectoryFiles.list(options.dataDirectory());
        for (String skipped : listing.skipped()) {
            log.printf("walstash: WARNING: not backed up: %s%n", skipped);
        }
        if (java.nio.file.Files.isSymbolicLink(options.dataDirectory().resolve("pg_wal"))) {
            log.println("walstash: pg_wal is a symbolic link: it is backed up as a directory; restore puts it in DEST "
                    + walDirectoryHint);
        }
        Map<String, BackupManifest.FileEntry> baseFiles = new HashMap<>();
        if (base != null) {
            base.files().forEach(f -> baseFiles.put(f.path(), f));
        }
        Lsn deltaThreshold = base == null ? null : Lsn.parse(base.startLsn());
        String folder = RepositoryLayout.backupFolder(name);
        List<BackupManifest.FileEntry> entries = Collections.synchronizedList(new ArrayList<>());
        DataDirectoryFiles.LocalFile controlFile = null;
        ExecutorService pool = ThreadPools.fixed("walstash-backup", options.concurrency());
        progress.begin("backup " + name, listing.files().size(),
                listing.files().stream().mapToLong(DataDirectoryFiles.LocalFile::size).sum());
        try {
            List<Future<?>> futures = new ArrayList<>();
            List<DataDirectoryFiles.LocalFile> bundle = new ArrayList<>();
            long bundled = 0;
            int bundles = 0;
            for (DataDirectoryFiles.LocalFile file : listing.files()) {
                if (file.path().equals(CONTROL_FILE)) {
                    controlFile = file;
                    continue;
                }
                if (storedInBundle(file, baseFiles.get(file.path()))) {
                    bundle.add(file);
                    bundled += file.size();
                    if (bundled >= BUNDLE_PLAIN_BYTES || bundle.size() == BUNDLE_FILES) {
                        futures.add(submitBundle(pool, List.copyOf(bundle), name, bundles++, startLsn, server, entries));
                        bundle.clear();
                        bundled = 0;
                    }
                    continue;
                }
                futures.add(pool.submit(() -> {
                    BackupManifest.FileEntry entry = backUp(file, name, baseFiles.get(file.path()), deltaThreshold,
                            startLsn, server);
                    if (entry != null) {
                        entries.add(entry);
                    }
                    progress.advance(1, file.size());
                    return null;
                }));
            }
            if (!bundle.isEmpty()) {
                futures.add(submitBundle(pool, List.copyOf(bundle), name, bundles, startLsn, server, entries));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(other -> other.cancel(true));
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException("backing up a file failed: " + cause, cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
            progress.end();
        }

        // pg_control last: a backup from a standby ends where the copied control file's minimum
        // recovery point says, so it must be read after every data file
        if (controlFile != null) {
            BackupManifest.FileEntry entry = backUp(controlFile, name, baseFiles.get(controlFile.path()), deltaThreshold,
                    startLsn, server);
            if (entry != null) {
                entries.add(entry);
            }
        }
        // a primary's stop waits for archive_command here, not in pg_backup_stop (see ArchiveStatus)
        Optional<ArchiveStatus> archiveStatus = server.standby() ? Optional.empty() : ArchiveStatus.of(options.dataDirectory());
        StopResult stop = stop(connection, server, options.stopTimeout(), archiveStatus.isEmpty());
        Instant stopTime = clock.instant();
        long stopTimeline = server.standby() ? standbyTimeline(connection, timeline) : timeline;
        // the segment holding the last byte before the stop LSN (pg_walfile_name's reading)
        String stopWalFile = SegmentFileName.containing(stopTimeline, Lsn.of(stop.lsn().value() - 1),
                server.segmentSize()).fileName();
        if (server.standby()) {
            awaitArchived(connection, stopWalFile, options.stopTimeout());
        } else if (archiveStatus.isPresent()) {
            awaitArchiveCommand(archiveStatus.get(), stopWalFile,
                    BackupHistoryFileName.of(stopTimeline, startLsn, server.segmentSize()).fileName(), options.stopTimeout());
        }
        List<BackupManifest.FileEntry> files = new ArrayList<>(entries);
        files.sort(java.util.Comparator.comparing(BackupManifest.FileEntry::path));
        long original = files.stream().mapToLong(BackupManifest.FileEntry::size).sum();
        long stored = files.stream().filter(f -> f.objectKey().startsWith(folder))
                .mapToLong(BackupManifest.FileEntry::storedSize).sum();
        BackupManifest manifest = new BackupManifest(BackupManifest.formatFor(files), name, startLsn.toString(),
                stop.lsn().toString(), timeline, startWalFile, stopWalFile, server.systemIdentifier(),
                server.versionNum(), startTime.toString(), stopTime.toString(), base == null ? null : base.name(),
                codec.name(), server.blockSize(), server.checksums(), original, stored, options.permanent(),
                stop.label(), stop.tablespaceMap(), listing.tablespaces(), listing.directories(), files, writer,
                server.standby());
        List<String> corrupt = manifest.corruptPages();
        if (!corrupt.isEmpty() && options.failOnCorruptPages()) {
            throw new CorruptPagesException("backup " + name + " not committed: " + corrupt.size()
                    + " pages fail their PostgreSQL checksum: " + String.join(", ", corrupt.subList(0, Math.min(20, corrupt.size()))));
        }
        if (options.permanent()) {
            storage.createIfAbsent(RepositoryLayout.permanentKey(name), new ByteArrayInputStream(new byte[0]));
        }
        // an encrypted repository keeps file names, labels and tablespace locations in the encrypted
        // content.json; manifest.json, the commit point, then holds the catalog only
        BackupManifest committed = manifest;
        if (!RepositoryLayout.keyringGenerations(storage).isEmpty()) {
            if (!storage.createIfAbsent(RepositoryLayout.contentKey(name), new ByteArrayInputStream(manifest.toStoredContent()))) {
                throw new IOException("content of " + name + " already exists: another backup of that name is being written");
            }
            committed = manifest.catalogOnly();
        }
        if (!storage.createIfAbsent(RepositoryLayout.manifestKey(name), new ByteArrayInputStream(committed.toStoredJson()))) {
            throw new IOException("manifest of " + name + " already exists: another backup of that name finished first");
        }
        if (options.permanent() && base != null) {
            catalog.mark(name, true); // a permanent delta is useless without its bases
        }
        if (!corrupt.isEmpty()) {
            log.printf("walstash: WARNING: %d pages failed their checksum: %s%n", corrupt.size(),
                    String.join(", ", corrupt.subList(0, Math.min(20, corrupt.size()))));
        }
        return manifest;
    }

    private Server inspect(Connection connection, Options options) throws SQLException, IOException {
        connection.setAutoCommit(true);
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int,"
                     + " (SELECT system_identifier::text FROM pg_control_system()),"
                     + " current_setting('data_checksums'), current_setting('block_size')::int,"
                     + " current_setting('archive_mode'), pg_is_in_recovery(),"
                     + " a.failed_count, coalesce(a.last_failed_wal, ''),"
                     + " coalesce(a.last_failed_time > coalesce(a.last_archived_time, 'epoch'), false),"
                     + " current_setting('data_directory'), (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size')"
                     + " FROM pg_stat_archiver a")) {
            rs.next();
            int version = rs.getInt(1);
            io.walstash.core.postgres.PostgresVersions.requireSupported(io.walstash.core.postgres.PostgresVersions.major(version));
            boolean standby = rs.getBoolean(6);
            // a standby's own archiver (archive_mode) says nothing about the primary's, which archives its WAL
            String archiveMode = rs.getString(5);
            if (!standby && !archiveMode.equals("on") && !archiveMode.equals("always")) {
                throw new ArchivingOffException(archiveMode);
            }
            if (!standby && rs.getBoolean(9)) {
                throw new IOException("WAL archiving is failing (pg_stat_archiver: last failure on " + rs.getString(8)
                        + ", " + rs.getLong(7) + " failures); fix archive_command before taking a backup");
            }
            String serverDirectory = rs.getString(10);
            if (!java.nio.file.Files.isSameFile(java.nio.file.Path.of(serverDirectory), options.dataDirectory())) {
                throw new IllegalArgumentException("the server's data directory is " + serverDirectory + ", not "
                        + options.dataDirectory());
            }
            return new Server(version, rs.getString(2), rs.getString(3).equals("on"), rs.getInt(4), standby,
                    WalSegmentSize.ofBytes(rs.getLong(11)));
        }
    }

    private BackupManifest chooseBase(BackupCatalog catalog, Options options, Server server) throws IOException {
        if (options.full() || options.deltaMaxSteps() == 0) {
            return null;
        }
        var latest = catalog.latest();
        if (latest.isEmpty()) {
            log.println("walstash: no earlier backup: taking a full backup");
            return null;
        }
        BackupManifest base = catalog.content(latest.get());
        if (options.deltaFromLatestFull()) {
            base = catalog.chain(base).get(0);
        }
        if (!base.systemIdentifier().equals(server.systemIdentifier())) {
            log.printf("walstash: latest backup %s is of system %s, this server is %s: taking a full backup%n",
                    base.name(), base.systemIdentifier(), server.systemIdentifier());
            return null;
        }
        if (base.blockSize() != server.blockSize()) {
            log.printf("walstash: latest backup %s has another block size: taking a full backup%n", base.name());
            return null;
        }
        int steps = catalog.chain(base).size() - 1;
        if (steps + 1 > options.deltaMaxSteps()) {
            log.printf("walstash: %s ends a chain of %d deltas (max %d): taking a full backup%n",
                    base.name(), steps, options.deltaMaxSteps());
            return null;
        }
        return base;
    }

    private record StopResult(Lsn lsn, String label, String tablespaceMap) {
    }

    /**
     * Ends the backup on the server; with {@code waitForArchive} the server also waits until
     * archive_command has archived the backup's last segment and its backup history file.
     */
    private StopResult stop(Connection connection, Server server, Duration timeout, boolean waitForArchive)
            throws SQLException, IOException {
        try (Statement s = connection.createStatement()) {
            s.execute("SET statement_timeout = " + Math.max(1, timeout.toMillis()));
            try (ResultSet rs = s.executeQuery(server.versionNum() >= 150000
                    ? "SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(" + waitForArchive + ")"
                    : "SELECT lsn::text, labelfile, spcmapfile FROM pg_stop_backup(false, " + waitForArchive + ")")) {
                rs.next();
                String map = rs.getString(3);
                return new StopResult(Lsn.parse(rs.getString(1)), rs.getString(2), map == null || map.isEmpty() ? null : map);
            } catch (SQLException e) {
                if (server.standby() && String.valueOf(e.getMessage()).contains("promoted")) {
                    throw new StandbyPromotedException("the standby was promoted during the backup: not committed"
                            + " (PostgreSQL: " + e.getMessage().lines().findFirst().orElse("") + "); take it again");
                }
                if ("57014".equals(e.getSQLState())) {
                    throw new IOException("pg_backup_stop did not finish within " + timeout.toSeconds()
                            + " s: it waits until the backup's last WAL segment is archived; check archive_command"
                            + " and pg_stat_archiver (WALSTASH_BACKUP_STOP_TIMEOUT sets the limit)", e);
                }
                throw e;
            } finally {
                s.execute("RESET statement_timeout");
            }
        }
    }

    /**
     * The timeline a standby's stop point is on (its minimum recovery point's); fails when the standby
     * was promoted or moved to another timeline than {@code startTimeline} during the backup.
     */
    private static long standbyTimeline(Connection connection, long startTimeline) throws SQLException, IOException {
        try (Statement s = connection.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(), min_recovery_end_timeline FROM pg_control_recovery()")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new StandbyPromotedException("the standby was promoted during the backup: not committed; take it again");
            }
            long timeline = rs.getLong(2);
            if (timeline != 0 && timeline != startTimeline) {
                throw new StandbyPromotedException("the standby moved from timeline " + startTimeline + " to " + timeline
                        + " during the backup (its primary was promoted): not committed; take it again");
            }
            return startTimeline;
        }
    }

    /**
     * Waits, bounded by {@code timeout}, until archive_command is done with {@code stopWalFile} and
     * {@code historyFile}: what {@code pg_backup_stop(true)} waits for (it assumes, as this does,
     * that the archiver works through files in name order, so the earlier segments are done too),
     * looked at every few milliseconds rather than every second.
     */
    private void awaitArchiveCommand(ArchiveStatus status, String stopWalFile, String historyFile, Duration timeout)
            throws IOException {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        long pauseMillis = 2;
        boolean told = false;
        while (status.busy(stopWalFile) || status.busy(historyFile)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("backup not committed: archive_command did not archive its last WAL segment "
                        + stopWalFile + " within " + timeout.toSeconds() + " s; check archive_command and"
                        + " pg_stat_archiver (WALSTASH_BACKUP_STOP_TIMEOUT sets the limit)");
            }
            if (!told && System.nanoTime() - started > ARCHIVE_COMMAND_TELL_AFTER.toNanos()) { // as the server tells
                log.printf("walstash: waiting for archive_command to archive %s (up to %d s)%n", stopWalFile,
                        timeout.toSeconds());
                log.flush();
                told = true;
            }
            try {
                Thread.sleep(pauseMillis); // nothing announces the rename of .ready to .done
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            pauseMillis = Math.min(pauseMillis * 2, ARCHIVE_COMMAND_POLL_MAX.toMillis());
        }
    }

    /**
     * A standby cannot switch WAL: its stop segment reaches the repository only when the primary
     * archives it. Waits for that, bounded by {@code timeout}, watching for a promotion meanwhile
     * (after which the old timeline's segment would never come).
     */
    private void awaitArchived(Connection connection, String stopWalFile, Duration timeout)
            throws IOException, SQLException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean told = false;
        while (WalIndex.storedForms(storage, WalFolder.WALSTASH, stopWalFile).isEmpty()
                && WalIndex.storedForms(storage, WalFolder.WALG, stopWalFile).isEmpty()) {
            try (Statement s = connection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    throw new StandbyPromotedException("the standby was promoted while the backup waited for " + stopWalFile
                            + " to be archived: not committed; take it again");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("backup from a standby not committed: its last WAL segment " + stopWalFile
                        + " was not archived by the primary within " + timeout.toSeconds() + " s (a standby cannot switch"
                        + " WAL: run pg_switch_wal() on the primary or set archive_timeout there;"
                        + " WALSTASH_BACKUP_STOP_TIMEOUT sets the limit)");
            }
            if (!told) {
                log.printf("walstash: waiting for the primary to archive %s (up to %d s)%n", stopWalFile,
                        timeout.toSeconds());
                log.flush();
                told = true;
            }
            try {
                Thread.sleep(ARCHIVE_POLL.toMillis()); // polling the repository: nothing announces an upload
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /**
     * Whether {@code file} is stored whole in a bundle with other small files: small, and not a
     * relation file its base has (those are stored as deltas, or point at the base's object) nor a
     * file unchanged since its base.
     */
    private boolean storedInBundle(DataDirectoryFiles.LocalFile file, BackupManifest.FileEntry baseEntry) {
        if (sizes.bundleLimit() == 0 || file.size() > sizes.bundleLimit()) {
            return false;
        }
        return baseEntry == null || !DataDirectoryFiles.isRelationFile(file.path()) && !unchanged(file, baseEntry);
    }

    /** A file other than a relation's, whose base stored it whole at the same length and modification time. */
    private static boolean unchanged(DataDirectoryFiles.LocalFile file, BackupManifest.FileEntry baseEntry) {
        return !baseEntry.delta() && baseEntry.size() == file.size() && baseEntry.modified() == file.modified();
    }

    private Future<?> submitBundle(ExecutorService pool, List<DataDirectoryFiles.LocalFile> files, String backup,
                                   int number, Lsn startLsn, Server server, List<BackupManifest.FileEntry> entries) {
        return pool.submit(() -> {
            entries.addAll(backUpBundle(files, backup, number, startLsn, server));
            progress.advance(files.size(), files.stream().mapToLong(DataDirectoryFiles.LocalFile::size).sum());
            return null;
        });
    }

    /**
     * Stores {@code files} whole, together in bundle {@code number}: one object, each file its own
     * codec stream in it (read and page-checked as a file stored alone is); a file gone when its
     * turn came is left out, as {@link #backUp} leaves it out.
     */
    private List<BackupManifest.FileEntry> backUpBundle(List<DataDirectoryFiles.LocalFile> files, String backup,
                                                        int number, Lsn startLsn, Server server) throws IOException {
        int blockSize = server.blockSize();
        List<List<Long>> corrupt = new ArrayList<>();
        List<StoredObjects.BundleMember> members = new ArrayList<>();
        for (DataDirectoryFiles.LocalFile file : files) {
            // what the attempt that stored the bundle found: each attempt reads the files again
            List<Long> corruptOfFile = Collections.synchronizedList(new ArrayList<>());
            corrupt.add(corruptOfFile);
            members.add(bundleMember(file, blockSize, server.checksums(), startLsn, corruptOfFile));
        }
        String key = RepositoryLayout.bundleKey(backup, number, codec);
        List<BackupManifest.FileEntry> stored = new ArrayList<>();
        for (StoredObjects.StoredMember member : StoredObjects.putBundle(storage, key, members, codec)) {
            DataDirectoryFiles.LocalFile file = files.get(member.index());
            StoredObjects.Stored s = member.stored();
            stored.add(new BackupManifest.FileEntry(file.path(), s.plainSize(), file.mode(), file.modified(), false, key,
                    s.sha256(), s.hashed(), s.plainSize(), s.storedSize(), new ArrayList<>(corrupt.get(member.index())),
                    null, member.storedOffset()));
        }
        return stored;
    }

    /**
     * {@code file} as a bundle's member: its pages as read (relation files page-checked when the
     * cluster has {@code checksums}, failures in {@code corrupt}, emptied for each attempt), or
     * nothing when the file is gone by its turn.
     */
    static StoredObjects.BundleMember bundleMember(DataDirectoryFiles.LocalFile file, int blockSize, boolean checksums,
                                                   Lsn startLsn, List<Long> corrupt) {
        boolean verify = DataDirectoryFiles.isRelationFile(file.path()) && checksums;
        long firstBlock = DataDirectoryFiles.firstBlock(file.path(), blockSize);
        return () -> {
            FileChannel channel;
            try {
                channel = FileChannel.open(file.file(), StandardOpenOption.READ);
            } catch (NoSuchFileException vanished) {
                return null; // dropped during the backup; WAL replay drops it on restore too
            }
            corrupt.clear();
            try {
                return new ClosingBoth(new PageReader(channel, blockSize, verify, firstBlock, startLsn, corrupt).whole(),
                        channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        };
    }

    /** A file's pages as read, closing the file with them. */
    private static final class ClosingBoth extends java.io.FilterInputStream {
        private final FileChannel channel;

        ClosingBoth(java.io.InputStream pages, FileChannel channel) {
            super(pages);
            this.channel = channel;
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } finally {
                channel.close();
            }
        }
    }

    /** Stores one file whole or as a delta, or reuses its base's object when unchanged; null when it vanished. */
    private BackupManifest.FileEntry backUp(DataDirectoryFiles.LocalFile file, String backup,
                                            BackupManifest.FileEntry baseEntry, Lsn deltaThreshold, Lsn startLsn,
                                            Server server) throws IOException {
        boolean relation = DataDirectoryFiles.isRelationFile(file.path());
        if (baseEntry != null && !relation && unchanged(file, baseEntry)) {
            return baseEntry.withFile(file.path(), baseEntry.size(), file.mode(), file.modified());
        }
        int blockSize = server.blockSize();
        long firstBlock = DataDirectoryFiles.firstBlock(file.path(), blockSize);
        boolean verify = relation && server.checksums();
        try (FileChannel channel = FileChannel.open(file.file(), StandardOpenOption.READ)) {
            // what the attempt that stored the file found: each attempt of the upload reads the file again
            List<Long> corrupt = Collections.synchronizedList(new ArrayList<>());
            PageReader pages = new PageReader(channel, blockSize, verify, firstBlock, startLsn, corrupt);
            if (baseEntry != null && relation && deltaThreshold != null) {
                long length = channel.size() / blockSize * blockSize;
                long baseBlocks = baseEntry.size() / blockSize;
                int[] blocks = pages.changedBlocks(length, deltaThreshold, baseBlocks);
                if (blocks.length == 0 && length == baseEntry.size() && !baseEntry.delta()) {
                    // an empty delta of the same length restores exactly the base's object, so that
                    // object serves: a restore opens one object for the file instead of two, and most
                    // relation files of a database are unchanged between two backups
                    return baseEntry.withFile(file.path(), baseEntry.size(), file.mode(), file.modified());
                }
                String key = RepositoryLayout.backupFileKey(backup, file.path(), true, codec);
                StoredObjects.Stored stored = StoredObjects.put(storage, key, () -> {
                    corrupt.clear();
                    return pages.delta(length, blocks);
                }, codec);
                return new BackupManifest.FileEntry(file.path(), length, file.mode(), file.modified(), true, key,
                        stored.sha256(), stored.hashed(), stored.plainSize(), stored.storedSize(), new ArrayList<>(corrupt),
                        stored.parts());
            }
            String key = RepositoryLayout.backupFileKey(backup, file.path(), false, codec);
            StoredObjects.Stored stored = StoredObjects.put(storage, key, () -> {
                corrupt.clear();
                return pages.whole();
            }, codec, sizes.partSize());
            return new BackupManifest.FileEntry(file.path(), stored.plainSize(), file.mode(), file.modified(), false, key,
                    stored.sha256(), stored.hashed(), stored.plainSize(), stored.storedSize(), new ArrayList<>(corrupt),
                    stored.parts());
        } catch (NoSuchFileException vanished) {
            return null; // dropped during the backup; WAL replay drops it on restore too
        }
    }
}
