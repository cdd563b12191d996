package io.walstash.cli;

import io.walstash.core.io.FileTrees;
import io.walstash.core.postgres.DataFingerprint;
import io.walstash.core.postgres.LocalCluster;
import io.walstash.core.postgres.OsUser;
import io.walstash.core.postgres.PostgresBinaries;
import io.walstash.core.postgres.Processes;
import io.walstash.core.testing.FaultProxy;
import io.walstash.storage.s3.S3ProxyServer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The fault campaign of issue 12: rounds of a real PostgreSQL under pgbench archiving through the
 * built launcher (archive_command = wal-push) to s3proxy behind a {@link FaultProxy}, base backups
 * running, while faults are injected at random; after each round {@code wal-verify --deep}, a
 * restore to the latest point and one to a time target (compared with the source's data), and a
 * search for processes and temporary files left behind.
 *
 * <p>{@link FaultCampaignIT} runs its short form in CI; {@code bench/fault-campaign.sh MINUTES}
 * runs {@link #main} for the long form. Random choices come from the seed (printed), so a failing
 * campaign can be run again with {@code -Dwalstash.faults.seed=N}; the timing of processes and
 * threads is not reproducible, the choice of faults is.
 */
public final class FaultCampaign {

    /**
     * The kinds of faults. Those with a {@code pendingFix} are off unless enabled
     * ({@code -Dwalstash.faults.enable=KIND,...} or {@code =all}): their expected outcome (nothing
     * lost, nothing wrongly restored) does not hold on today's code until that fix is merged.
     */
    enum Kind {
        KILL_WAL_PUSH("SIGKILL wal-push (JVM or daemon client)", null),
        KILL_DAEMON("SIGKILL daemon", null),
        KILL_BACKUP_PUSH("SIGKILL backup-push", null),
        KILL_BACKUP_FETCH("SIGKILL backup-fetch (restore)", null),
        KILL_WAL_FETCH("SIGKILL wal-fetch during recovery", null),
        KILL_PREFETCH_WORKER("SIGKILL prefetch worker (wal-prefetch)", null),
        CONCURRENT_PUSH("concurrent pushers of one segment", null),
        STORAGE_OUTAGE("storage gone (proxy stops listening) while archiving", null),
        SPOOL_FULL("spool filesystem full during an outage", null),
        S3_ERROR_500("S3 answers 500", null),
        S3_ERROR_503("S3 answers 503", null),
        S3_HANG("S3 hangs until the client's timeout", null),
        S3_RESET("connection reset mid-body", null),
        S3_TRUNCATE("body truncated", null),
        S3_FLIP_DOWNLOAD("byte flipped in a download while archiving/backing up", null),
        S3_FLIP_UPLOAD("byte flipped in an upload", null),
        RECOVERY_FLIP_DOWNLOAD("byte flipped in a download during recovery", null),
        RECOVERY_OUTAGE("storage gone during recovery, longer than the fetch retries", null);

        final String label;
        final String pendingFix;

        Kind(String label, String pendingFix) {
            this.label = label;
            this.pendingFix = pendingFix;
        }

        static Set<Kind> enabled(String property) {
            Set<Kind> kinds = EnumSet.noneOf(Kind.class);
            for (Kind kind : values()) {
                if (kind.pendingFix == null) {
                    kinds.add(kind);
                }
            }
            if (property == null || property.isBlank()) {
                return kinds;
            }
            for (String name : property.split(",")) {
                String trimmed = name.trim();
                if (trimmed.equalsIgnoreCase("all")) {
                    kinds.addAll(EnumSet.allOf(Kind.class));
                } else if (trimmed.startsWith("-")) {
                    kinds.remove(Kind.valueOf(trimmed.substring(1).toUpperCase(Locale.ROOT)));
                } else if (!trimmed.isEmpty()) {
                    kinds.add(Kind.valueOf(trimmed.toUpperCase(Locale.ROOT)));
                }
            }
            return kinds;
        }
    }

    /** How a campaign runs: its seed, its time budget (rounds start while it lasts), its load. */
    record Options(long seed, Duration budget, int maxRounds, Duration loadPhase, Set<Kind> kinds, Path work,
                   boolean keepFailedRounds) {
        static Options fromProperties(Duration defaultBudget, int defaultRounds, Duration defaultLoad) {
            long seed = Optional.ofNullable(System.getProperty("walstash.faults.seed")).map(Long::parseLong)
                    .orElse(new Random().nextLong());
            Duration budget = Optional.ofNullable(System.getProperty("walstash.faults.minutes"))
                    .map(m -> Duration.ofSeconds((long) (Double.parseDouble(m) * 60))).orElse(defaultBudget);
            int rounds = Integer.getInteger("walstash.faults.rounds", defaultRounds);
            Duration load = Optional.ofNullable(System.getProperty("walstash.faults.load-seconds"))
                    .map(s -> Duration.ofSeconds(Long.parseLong(s))).orElse(defaultLoad);
            Path work = Path.of(System.getProperty("walstash.faults.work", System.getProperty("java.io.tmpdir")));
            return new Options(seed, budget, rounds, load, Kind.enabled(System.getProperty("walstash.faults.enable")),
                    work, Boolean.getBoolean("walstash.faults.keep"));
        }
    }

    /** What a campaign did and found. */
    record Summary(long seed, int rounds, Map<String, Long> faults, long totalFaults, int restoresCompared,
                   long rowsCompared, long lostSegments, long corruptSegments, int wrongRestores,
                   int leftoverProcesses, int leftoverTempFiles, List<String> failures, Map<String, Long> observations,
                   Duration elapsed, Set<Kind> kinds) {

        String text() {
            StringBuilder s = new StringBuilder();
            s.append(String.format(Locale.ROOT, "fault campaign: seed %d, %d rounds in %d s, %d faults injected%n",
                    seed, rounds, elapsed.toSeconds(), totalFaults));
            faults.forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-62s %6d%n", k, v)));
            s.append(String.format(Locale.ROOT, "  restores compared with the source: %d (%d rows)%n", restoresCompared, rowsCompared));
            s.append(String.format(Locale.ROOT, "  lost segments: %d, corrupt segments: %d, wrong restores: %d%n",
                    lostSegments, corruptSegments, wrongRestores));
            s.append(String.format(Locale.ROOT, "  processes left behind: %d, temporary files left behind: %d%n",
                    leftoverProcesses, leftoverTempFiles));
            observations.forEach((k, v) -> s.append(String.format(Locale.ROOT, "  (observed) %-51s %6d%n", k, v)));
            List<String> off = Arrays.stream(Kind.values()).filter(k -> !kinds.contains(k)).map(Kind::name).toList();
            if (!off.isEmpty()) {
                s.append("  kinds not enabled: ").append(String.join(", ", off)).append('\n');
            }
            failures.forEach(f -> s.append("  FAILURE: ").append(f).append('\n'));
            s.append("  replay: -Dwalstash.faults.seed=").append(seed).append('\n');
            return s.toString();
        }

        boolean clean() {
            return failures.isEmpty() && lostSegments == 0 && corruptSegments == 0 && wrongRestores == 0
                    && leftoverProcesses == 0 && leftoverTempFiles == 0;
        }
    }

    private static final Duration WAIT = Duration.ofMinutes(4);
    /**
     * Faults the archiving phase injects at least (if the kinds enabled allow it), with at most
     * {@link #EXTRA_LOADS} more load phases after the two: about 50 s of load at the usual rate.
     */
    private static final long ARCHIVING_FAULTS = 60;
    private static final int EXTRA_LOADS = 12;
    /** The share of requests the proxy breaks while archiving and while restoring. */
    private static final double ARCHIVING_REQUEST_FAULTS = 0.15;
    private static final double RESTORING_REQUEST_FAULTS = 0.08;
    private static final Pattern VERIFY_SUMMARY = Pattern.compile("(\\d+) missing, (\\d+) corrupt");
    private static final DateTimeFormatter TARGET_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'+00'")
            .withZone(ZoneOffset.UTC);

    private final Options options;
    private final PrintStream log;
    private final OsUser user = OsUser.current();
    private final PostgresBinaries binaries;
    private final Map<String, AtomicLong> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> observations = new ConcurrentHashMap<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final boolean canMount;
    private int restoresCompared;
    private long rowsCompared;
    private long lost;
    private long corrupt;
    private int wrongRestores;
    private int leftoverProcesses;
    private int leftoverTempFiles;

    FaultCampaign(Options options, PrintStream log) throws IOException {
        this.options = options;
        this.log = log;
        this.binaries = PostgresBinaries.find(System.getenv());
        this.canMount = "root".equals(System.getProperty("user.name"));
        for (Kind kind : Kind.values()) {
            faults.put(kind.label, new AtomicLong());
        }
    }

    public static void main(String[] args) throws Exception {
        // the short form's 10 s load phases, round after round: archiving faults come while PostgreSQL
        // archives under load, restore faults per object restored; longer phases mean more WAL for
        // both recoveries to replay, which on a loaded machine costs more than a round's other overhead
        Options options = Options.fromProperties(Duration.ofMinutes(args.length > 0 ? Long.parseLong(args[0]) : 30),
                Integer.MAX_VALUE, Duration.ofSeconds(10));
        Summary summary = new FaultCampaign(options, System.out).run();
        System.out.print(summary.text());
        System.exit(summary.clean() ? 0 : 1);
    }

    /** Runs rounds until the budget is spent (at least one), and returns what was counted. */
    Summary run() throws Exception {
        long started = System.nanoTime();
        log.printf("fault campaign: seed %d, budget %d s, kinds %s%n", options.seed(), options.budget().toSeconds(), options.kinds());
        // s3proxy's Jetty warns of every request the proxy broke; the campaign reports those itself
        System.setProperty("org.slf4j.simpleLogger.log.org.gaul", "error");
        Path work = Files.createTempDirectory(options.work(), "walstash-faults-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx------"));
        user.own(work);
        int rounds = 0;
        try (S3ProxyServer s3 = S3ProxyServer.start(); FaultProxy proxy = FaultProxy.start(s3.port())) {
            proxy.hangLimit(Duration.ofSeconds(30));
            String bucket = s3.createBucket(S3ProxyServer.uniqueBucketName("campaign"));
            while (rounds < options.maxRounds()) {
                long spent = System.nanoTime() - started;
                if (rounds > 0 && spent + spent / rounds > options.budget().toNanos()) {
                    break; // another round of the same length would overrun the budget
                }
                Random random = new Random(options.seed() * 31 + rounds);
                Path dir = work.resolve("round-" + rounds);
                Round round = new Round(rounds, random, dir, s3, proxy, bucket);
                boolean ok = false;
                // a campaign stopped from outside (a timeout, Ctrl-C) still stops its clusters and unmounts
                Thread onExit = new Thread(() -> round.cleanUp(true));
                Runtime.getRuntime().addShutdownHook(onExit);
                try {
                    round.run();
                    ok = failures.isEmpty();
                } catch (Exception | AssertionError e) {
                    failures.add("round " + rounds + ": " + e);
                    e.printStackTrace(log);
                } finally {
                    round.cleanUp(ok || !options.keepFailedRounds());
                    Runtime.getRuntime().removeShutdownHook(onExit);
                }
                rounds++;
                long total = totalFaults();
                log.printf("round %d done: %d faults so far, %d s elapsed%n", rounds - 1, total,
                        Duration.ofNanos(System.nanoTime() - started).toSeconds());
            }
        } finally {
            if (failures.isEmpty() || !options.keepFailedRounds()) {
                FileTrees.delete(work);
            }
        }
        Map<String, Long> counted = new LinkedHashMap<>();
        for (Kind kind : Kind.values()) {
            counted.put(kind.label, faults.get(kind.label).get());
        }
        Map<String, Long> observed = new java.util.TreeMap<>();
        observations.forEach((k, v) -> observed.put(k, v.get()));
        return new Summary(options.seed(), rounds, counted, counted.values().stream().mapToLong(Long::longValue).sum(),
                restoresCompared, rowsCompared, lost, corrupt, wrongRestores, leftoverProcesses, leftoverTempFiles,
                List.copyOf(failures), observed, Duration.ofNanos(System.nanoTime() - started), options.kinds());
    }

    private long totalFaults() {
        return faults.values().stream().mapToLong(AtomicLong::get).sum();
    }

    private void count(Kind kind) {
        faults.get(kind.label).incrementAndGet();
    }

    private void observe(String what) {
        observations.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    private static final Map<FaultProxy.Fault, Kind> PROXY_KINDS = Map.of(
            FaultProxy.Fault.ERROR_500, Kind.S3_ERROR_500,
            FaultProxy.Fault.ERROR_503, Kind.S3_ERROR_503,
            FaultProxy.Fault.HANG, Kind.S3_HANG,
            FaultProxy.Fault.RESET_MID_BODY, Kind.S3_RESET,
            FaultProxy.Fault.TRUNCATE, Kind.S3_TRUNCATE);

    /** One round: its own source cluster, repository prefix, daemon and spool. */
    private final class Round {
        private final int index;
        private final Random random;
        private final Path dir;
        private final S3ProxyServer s3;
        private final FaultProxy proxy;
        private final String bucket;
        private final String prefix;
        private final boolean useDaemon;
        private final Path envFile;
        private final Path spoolMount;
        private final Path spool;
        private final Path socket;
        private final List<AutoCloseable> toClose = new ArrayList<>();
        private final AtomicBoolean injecting = new AtomicBoolean();
        private volatile Process daemon;
        private boolean mounted;
        private boolean cleaned;
        private LocalCluster source;
        private int daemons;

        Round(int index, Random random, Path dir, S3ProxyServer s3, FaultProxy proxy, String bucket) {
            this.index = index;
            this.random = random;
            this.dir = dir;
            this.s3 = s3;
            this.proxy = proxy;
            this.bucket = bucket;
            this.prefix = "round-" + index;
            this.useDaemon = index % 2 == 0;
            this.envFile = dir.resolve("walstash.env");
            this.spoolMount = dir.resolve("spoolfs");
            this.spool = spoolMount.resolve("spool");
            this.socket = dir.resolve("d.sock");
            this.backupFaults = new Random(random.nextLong());
        }

        void run() throws Exception {
            Files.createDirectories(dir);
            user.own(dir);
            Files.createDirectories(spoolMount);
            mounted = mountSpool();
            Files.createDirectories(spool);
            user.own(spoolMount);
            user.own(spool);
            writeSettings();
            log.printf("round %d: %s, daemon %s, spool %s%n", index, dir, useDaemon ? "on" : "off",
                    mounted ? "on a 24 MiB tmpfs" : "on the round's filesystem (no mount: spool-full off)");

            source = LocalCluster.initdb(binaries, user, dir.resolve("source"), dir, List.of("--wal-segsize=2"));
            toClose.add(source);
            source.configure(Map.of("archive_mode", "on", "wal_level", "replica", "max_wal_size", "64MB",
                    "archive_command", Launcher.path() + " wal-push --config " + envFile + " %p"));
            if (useDaemon) {
                startDaemon();
            }
            source.start();
            source.runTool("pgbench", "-i", "-q", "-s", "2", "postgres");

            // archiving and backing up under faults
            // the first backup, which both restores may start from, under storage faults only
            archivingProxyFaults();
            backupUntilDone("first", true);
            long archivingStarted = System.nanoTime();
            long faultsBefore = totalFaults();
            // two injectors at once: quick process faults go on while storage is gone or the daemon dead
            injecting.set(true);
            List<Thread> injectors = List.of(startInjector(this::processFault, 80, 220),
                    startInjector(this::storageFault, 1500, 3000));
            DataFingerprint atTarget;
            Instant target;
            DataFingerprint atEnd;
            try {
                Thread backups = background(() -> backupUntilDone("during load 1", false));
                load();
                backups.join(WAIT.toMillis());
                atTarget = fingerprint(source);
                target = timeTarget();
                backups = background(() -> backupUntilDone("during load 2", false));
                load();
                // the phase's length depended on how long the backups took: both failing fast (storage
                // gone at their start) left a 26 s phase with 33 faults and the round under its floor
                // (seed 1635389921894846036); more load until the phase has injected its share
                for (int extra = 0; extra < EXTRA_LOADS && totalFaults() - faultsBefore < ARCHIVING_FAULTS; extra++) {
                    load();
                }
                backups.join(WAIT.toMillis());
                atEnd = fingerprint(source);
            } finally {
                stopInjectors(injectors);
                proxy.calm();
                proxy.reappear();
                fillSpool(false);
            }
            phase("archiving under load", archivingStarted, faultsBefore);
            ensureDaemon();
            archiveEverything();
            source.stop();
            stopDaemon();

            verifyArchive();

            // restoring under faults
            restoringProxyFaults();
            long restoringStarted = System.nanoTime();
            faultsBefore = totalFaults();
            injecting.set(true);
            injectors = List.of(startInjector(this::restoringFault, 80, 220));
            try {
                restoreAndCompare("latest", null, atEnd);
                restoreAndCompare("time", target, atTarget);
            } finally {
                stopInjectors(injectors);
                proxy.calm();
                proxy.reappear();
            }
            phase("restoring", restoringStarted, faultsBefore);
            for (AutoCloseable c : toClose) {
                c.close();
            }
            toClose.clear();
            checkLeftovers();
        }

        /** One line of what a phase injected and took: the rate that the long form's length is judged by. */
        private void phase(String name, long startedNanos, long faultsBefore) {
            long seconds = Math.max(1, Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds());
            long injected = totalFaults() - faultsBefore;
            log.printf(Locale.ROOT, "round %d: %s: %d faults in %d s (%.1f a minute)%n", index, name, injected, seconds,
                    injected * 60.0 / seconds);
        }

        private void writeSettings() throws IOException {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("WALSTASH_STORAGE", "s3://" + bucket + "/" + prefix);
            settings.put("AWS_ENDPOINT", proxy.endpoint());
            settings.put("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY);
            settings.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
            settings.put("AWS_REGION", S3ProxyServer.REGION);
            settings.put("AWS_S3_FORCE_PATH_STYLE", "true");
            // few retries and short timeouts, so that faults reach walstash's own retries, spool and callers
            settings.put("WALSTASH_S3_MAX_RETRIES", "2");
            settings.put("WALSTASH_S3_REQUEST_TIMEOUT", "5s");
            settings.put("WALSTASH_REQUEST_TIMEOUT", "12s");
            settings.put("WALSTASH_RETRIES", "2");
            settings.put("WALSTASH_RETRY_BASE", "200ms");
            settings.put("WALSTASH_FETCH_ATTEMPTS", "4");
            settings.put("WALSTASH_FETCH_TIMEOUT", "15");
            settings.put("WALSTASH_SPOOL", spool.toString());
            settings.put("WALSTASH_SPOOL_MAX_SIZE", "1GiB");
            settings.put("WALSTASH_DELTA_MAX_STEPS", "3");
            // a backup attempt whose stop segment the faulted archiver has not archived gives up after
            // this; every run has one such attempt, and its wait was most of a round's length
            settings.put("WALSTASH_BACKUP_STOP_TIMEOUT", "120");
            if (useDaemon) {
                settings.put("WALSTASH_DAEMON_SOCKET", socket.toString());
            }
            StringBuilder text = new StringBuilder();
            settings.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Files.writeString(envFile, text);
            Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-------"));
            user.own(envFile);
        }

        private boolean mountSpool() {
            if (!canMount || !options.kinds().contains(Kind.SPOOL_FULL)) {
                return false;
            }
            try {
                String owner = user.runAs().map(u -> ",uid=" + uid(u)).orElse("");
                Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=24m,mode=0700" + owner, "tmpfs",
                        spoolMount.toString()), Map.of(), Duration.ofMinutes(1));
                return true;
            } catch (IOException e) {
                log.println("round " + index + ": cannot mount a tmpfs for the spool (" + e.getMessage() + ")");
                return false;
            }
        }

        private String uid(String name) {
            try {
                return Processes.run(List.of("id", "-u", name), Map.of(), Duration.ofMinutes(1)).strip();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        synchronized void cleanUp(boolean delete) {
            if (cleaned) {
                return;
            }
            cleaned = true;
            injecting.set(false);
            try {
                proxy.calm();
                proxy.reappear();
            } catch (IOException e) {
                failures.add("round " + index + ": proxy did not come back: " + e);
            }
            for (AutoCloseable c : toClose) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.println("round " + index + ": closing " + c + ": " + e);
                }
            }
            stopDaemon();
            killRoundProcesses();
            if (mounted) {
                try {
                    Processes.run(List.of("umount", "-l", spoolMount.toString()), Map.of(), Duration.ofMinutes(1));
                } catch (IOException e) {
                    log.println("round " + index + ": umount: " + e.getMessage());
                }
            }
            if (delete) {
                try {
                    FileTrees.delete(dir);
                } catch (IOException e) {
                    log.println("round " + index + ": cannot delete " + dir + ": " + e.getMessage());
                }
            }
        }

        // ---- processes ------------------------------------------------------------------

        /** walstash processes of this round: the launcher's copy and this round's settings file on the command line. */
        private List<ProcessHandle> roundProcesses(String verb) {
            String envText = envFile.toString();
            String dirText = dir.toString();
            List<ProcessHandle> found = new ArrayList<>();
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path proc : procs.toList()) {
                    String name = proc.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    List<String> args = cmdline(proc);
                    if (args.isEmpty()) {
                        continue;
                    }
                    boolean ours = args.stream().anyMatch(a -> a.equals(envText) || a.startsWith(dirText + "/"));
                    boolean walstash = args.stream().anyMatch(a -> a.contains("io.walstash.cli") || a.endsWith("walstash-client"));
                    if (ours && walstash && (verb == null || args.contains(verb))) {
                        ProcessHandle.of(Long.parseLong(name)).ifPresent(found::add);
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return found;
        }

        private static List<String> cmdline(Path proc) {
            try {
                byte[] bytes = Files.readAllBytes(proc.resolve("cmdline"));
                if (bytes.length == 0) {
                    return List.of();
                }
                return List.of(new String(bytes, StandardCharsets.UTF_8).split("\0"));
            } catch (IOException e) {
                return List.of(); // exited meanwhile, or not ours to read
            }
        }

        /** SIGKILLs one of this round's {@code verb} processes, waiting up to {@code within} for one; true if killed. */
        private boolean killOne(String verb, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (injecting.get()) {
                List<ProcessHandle> targets = roundProcesses(verb);
                if (!targets.isEmpty()) {
                    ProcessHandle victim = targets.get(random.nextInt(targets.size()));
                    if (victim.destroyForcibly()) {
                        return true;
                    }
                }
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(25); // polling for a short-lived process to appear
            }
            return false;
        }

        private void killRoundProcesses() {
            for (ProcessHandle p : roundProcesses(null)) {
                p.destroyForcibly();
            }
        }

        private void startDaemon() throws IOException {
            Path daemonLog = dir.resolve("daemon-" + daemons++ + ".log");
            ProcessBuilder builder = new ProcessBuilder(user.wrap(List.of(Launcher.path().toString(), "daemon",
                    "--socket", socket.toString(), "--config", envFile.toString())))
                    .redirectErrorStream(true).redirectOutput(daemonLog.toFile());
            builder.environment().putAll(Launcher.withCache(Map.of()));
            Process started = builder.start();
            daemon = started;
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            try {
                while (started.isAlive() && System.nanoTime() < deadline && roundProcesses("daemon").isEmpty()) {
                    Thread.sleep(20);
                }
                // the socket appears once it serves; a stale one from a killed daemon is replaced
                while (started.isAlive() && System.nanoTime() < deadline
                        && !Files.readString(daemonLog).contains("listening") && !socketAnswers()) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        private boolean socketAnswers() {
            if (!Files.exists(socket)) {
                return false;
            }
            try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(socket))) {
                return c.isConnected();
            } catch (IOException e) {
                return false;
            }
        }

        private synchronized void ensureDaemon() throws IOException {
            if (useDaemon && (daemon == null || !daemon.isAlive() || roundProcesses("daemon").isEmpty())) {
                startDaemon();
            }
        }

        private void stopDaemon() {
            Process running = daemon;
            if (running == null) {
                return;
            }
            for (ProcessHandle p : roundProcesses("daemon")) {
                p.destroy(); // SIGTERM, a clean stop
            }
            try {
                if (!running.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                    running.destroyForcibly();
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!roundProcesses("daemon").isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            daemon = null;
        }

        // ---- injectors ------------------------------------------------------------------

        private Set<FaultProxy.Fault> proxyFaults(Kind flips) {
            Set<FaultProxy.Fault> kinds = EnumSet.noneOf(FaultProxy.Fault.class);
            PROXY_KINDS.forEach((fault, kind) -> {
                if (options.kinds().contains(kind)) {
                    kinds.add(fault);
                }
            });
            if (options.kinds().contains(flips) || (flips == Kind.S3_FLIP_DOWNLOAD && options.kinds().contains(Kind.S3_FLIP_UPLOAD))) {
                kinds.add(FaultProxy.Fault.FLIP_BYTE);
            }
            return kinds;
        }

        /**
         * Whether a fault drawn for a request to a backup's objects is let through. Uploads: one
         * in 80, so that a backup of about a thousand objects meets one now and then: backup-push
         * uploads a file from a stream, which the retry layer cannot send twice once bytes went,
         * so one fault fails the whole attempt, and at the rate WAL gets them no backup would
         * finish. Downloads (a restore's objects, a delta's base manifest): every drawn fault, as
         * the retry layer retries them (500, 503) or resumes them from the byte reached (reset,
         * truncated), but a hang (it costs a whole S3 request timeout, one in 80 as well) and a
         * flipped byte (once per restore, {@link #backupFlipArmed}).
         */
        private boolean backupObjectFault(FaultProxy.Fault fault, FaultProxy.Request request) {
            if (!request.target().contains("/backups/")) {
                return true;
            }
            if (!request.upload() && fault != FaultProxy.Fault.HANG) {
                return true;
            }
            synchronized (backupFaults) {
                return backupFaults.nextInt(80) == 0;
            }
        }

        private Random backupFaults;

        /**
         * While archiving, faults hit WAL at the full rate and uploads of backups' objects rarely
         * ({@link #backupObjectFault}); flipped bytes only hit WAL objects, in the directions enabled.
         */
        private void archivingProxyFaults() {
            proxy.only((fault, request) -> fault != FaultProxy.Fault.FLIP_BYTE ? backupObjectFault(fault, request)
                    : request.target().contains("/wal/")
                    && options.kinds().contains(request.upload() ? Kind.S3_FLIP_UPLOAD : Kind.S3_FLIP_DOWNLOAD));
            proxy.onFault((fault, request) -> count(fault == FaultProxy.Fault.FLIP_BYTE
                    ? (request.upload() ? Kind.S3_FLIP_UPLOAD : Kind.S3_FLIP_DOWNLOAD) : PROXY_KINDS.get(fault)));
            proxy.randomly(new Random(random.nextLong()), ARCHIVING_REQUEST_FAULTS, proxyFaults(Kind.S3_FLIP_DOWNLOAD));
        }

        /**
         * While restoring: flipped bytes in WAL downloads only where enabled (issue 18: today a
         * corrupt download ends recovery early), and in a backup's objects once per restore
         * ({@link #backupFlipArmed}), which must make that restore attempt fail cleanly.
         */
        private void restoringProxyFaults() {
            proxy.only((fault, request) -> fault != FaultProxy.Fault.FLIP_BYTE ? backupObjectFault(fault, request)
                    : (request.target().contains("/wal/") && options.kinds().contains(Kind.RECOVERY_FLIP_DOWNLOAD))
                    || (request.target().contains("/backups/") && backupFlipArmed.compareAndSet(true, false)));
            proxy.onFault((fault, request) -> count(fault != FaultProxy.Fault.FLIP_BYTE ? PROXY_KINDS.get(fault)
                    : request.target().contains("/wal/") ? Kind.RECOVERY_FLIP_DOWNLOAD : Kind.S3_FLIP_DOWNLOAD));
            proxy.randomly(new Random(random.nextLong()), RESTORING_REQUEST_FAULTS, proxyFaults(Kind.RECOVERY_FLIP_DOWNLOAD));
        }

        private final AtomicBoolean backupFlipArmed = new AtomicBoolean();

        private interface Step {
            void run() throws Exception;
        }

        private Thread background(Step step) {
            Thread t = new Thread(() -> {
                try {
                    step.run();
                } catch (Exception | AssertionError e) {
                    failures.add("round " + index + ": " + e);
                    e.printStackTrace(log);
                }
            }, "campaign-round-" + index);
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Runs {@code fault} every {@code pause} to {@code pause + spread} ms until {@link #stopInjectors}. */
        private Thread startInjector(Step fault, int pause, int spread) {
            return background(() -> {
                while (injecting.get()) {
                    Thread.sleep(pause + random.nextInt(spread)); // the pace of injection, not a synchronisation
                    if (injecting.get()) {
                        fault.run();
                    }
                }
            });
        }

        private void stopInjectors(List<Thread> injectors) throws InterruptedException {
            injecting.set(false);
            for (Thread injector : injectors) {
                injector.join(Duration.ofMinutes(2).toMillis());
            }
        }

        /** Kills of short-lived processes and concurrent pushers: quick, one every 0.08-0.3 s. */
        private void processFault() throws Exception {
            // weighted: kills of pushes are the most frequent event of an archiving server
            Kind kind = draw(Kind.KILL_WAL_PUSH, Kind.KILL_WAL_PUSH, Kind.KILL_WAL_PUSH, Kind.KILL_WAL_PUSH,
                    Kind.KILL_BACKUP_PUSH, Kind.KILL_BACKUP_PUSH, Kind.CONCURRENT_PUSH, Kind.CONCURRENT_PUSH,
                    Kind.CONCURRENT_PUSH);
            if (kind == null) {
                return;
            }
            switch (kind) {
                case KILL_WAL_PUSH -> {
                    if (killOne("wal-push", Duration.ofSeconds(3))) {
                        count(kind);
                    }
                }
                case KILL_BACKUP_PUSH -> {
                    // one attempt per backup at most: a backup must still finish within the round
                    if (backupKills.get() > 0 && killOne("backup-push", Duration.ofSeconds(1))) {
                        backupKills.decrementAndGet();
                        count(kind);
                    }
                }
                case CONCURRENT_PUSH -> concurrentPush();
                default -> throw new IllegalStateException(kind.toString());
            }
        }

        /**
         * Faults that last seconds: storage gone, the spool full while it is, the daemon dead. On
         * their own injector, 1.5-4.5 s apart, so that storage is gone about half of the time as
         * when one injector drew every kind, while the kills go on meanwhile.
         */
        private void storageFault() throws Exception {
            Kind kind = useDaemon ? draw(Kind.STORAGE_OUTAGE, Kind.SPOOL_FULL, Kind.KILL_DAEMON)
                    : draw(Kind.STORAGE_OUTAGE, Kind.SPOOL_FULL);
            if (kind == null) {
                return;
            }
            switch (kind) {
                case KILL_DAEMON -> {
                    if (killOne("daemon", Duration.ofSeconds(1))) {
                        count(kind);
                        Thread.sleep(500 + random.nextInt(3000)); // how long the daemon stays dead
                        ensureDaemon();
                    }
                }
                case STORAGE_OUTAGE -> {
                    count(kind);
                    proxy.disappear();
                    Thread.sleep(1000 + random.nextInt(3000)); // how long storage stays away
                    proxy.reappear();
                }
                case SPOOL_FULL -> {
                    count(kind);
                    fillSpool(true);
                    proxy.disappear();
                    Thread.sleep(2000 + random.nextInt(2000)); // how long storage stays away
                    proxy.reappear();
                    fillSpool(false);
                }
                default -> throw new IllegalStateException(kind.toString());
            }
        }

        /** One of {@code weighted} that is enabled (and possible in this round), or null. */
        private Kind draw(Kind... weighted) {
            List<Kind> kinds = new ArrayList<>(List.of(weighted));
            kinds.removeIf(k -> !options.kinds().contains(k) || (k == Kind.SPOOL_FULL && !mounted));
            return kinds.isEmpty() ? null : kinds.get(random.nextInt(kinds.size()));
        }

        private void restoringFault() throws Exception {
            Kind kind = draw(Kind.KILL_BACKUP_FETCH, Kind.KILL_WAL_FETCH, Kind.KILL_PREFETCH_WORKER, Kind.RECOVERY_OUTAGE);
            if (kind == null) {
                return;
            }
            switch (kind) {
                case KILL_BACKUP_FETCH -> {
                    // one attempt per restore at most, so that the restore gets done
                    if (restoreKills.get() > 0 && killOne("restore", Duration.ofSeconds(1))) {
                        restoreKills.decrementAndGet();
                        count(kind);
                    }
                }
                case KILL_WAL_FETCH -> {
                    // each kill stops the recovery (PostgreSQL exits when restore_command dies of a
                    // signal) and costs a restart: two per restore, so that recovery gets somewhere
                    if (walFetchKills.get() > 0 && killOne("wal-fetch", Duration.ofSeconds(2))) {
                        walFetchKills.decrementAndGet();
                        count(kind);
                    }
                }
                case KILL_PREFETCH_WORKER -> {
                    if (prefetchKills.get() > 0 && killOne("wal-prefetch", Duration.ofSeconds(2))) {
                        prefetchKills.decrementAndGet();
                        count(kind);
                    }
                }
                case RECOVERY_OUTAGE -> {
                    // only while PostgreSQL recovers, where wal-fetch waits an outage out: the restore
                    // before it (backup-fetch) has no outage wait and fails at once, as it should; an
                    // outage at any time let storage be gone most of the restore phase and no restore
                    // attempt got through (the "connection refused" of the earlier runs). A few per
                    // recovery, each longer than the fetch's own retries (4 tries from 200 ms backoff).
                    if (recovering.get() && recoveryOutages.get() > 0) {
                        recoveryOutages.decrementAndGet();
                        count(kind);
                        proxy.disappear();
                        Thread.sleep(2_000 + random.nextInt(2_000)); // how long storage stays away
                        proxy.reappear();
                    }
                }
                default -> throw new IllegalStateException(kind.toString());
            }
        }

        /** Fills the spool's filesystem to the last few KiB (or empties it again). */
        private void fillSpool(boolean full) throws IOException {
            if (!mounted) {
                return;
            }
            Path filler = spoolMount.resolve("filler");
            if (!full) {
                Files.deleteIfExists(filler);
                return;
            }
            byte[] block = new byte[64 * 1024];
            try (var out = Files.newOutputStream(filler)) {
                while (true) {
                    out.write(block);
                }
            } catch (IOException e) {
                // ENOSPC: full, as wanted
                if (!String.valueOf(e.getMessage()).contains("No space left")) {
                    throw e;
                }
            }
        }

        /** Concurrent pushers still running: one group at a time, or their JVMs would crowd out PostgreSQL on 2 cores. */
        private final java.util.concurrent.atomic.AtomicInteger pushers = new java.util.concurrent.atomic.AtomicInteger();

        private void concurrentPush() throws IOException {
            if (pushers.get() > 0) {
                return;
            }
            Path status = source.dataDirectory().resolve("pg_wal/archive_status");
            List<String> ready;
            try (Stream<Path> files = Files.list(status)) {
                ready = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}\\.ready"))
                        .map(n -> n.substring(0, 24)).sorted().toList();
            } catch (java.nio.file.NoSuchFileException e) {
                return;
            }
            if (ready.isEmpty()) {
                return;
            }
            String segment = ready.get(random.nextInt(ready.size()));
            Path file = source.dataDirectory().resolve("pg_wal").resolve(segment);
            count(Kind.CONCURRENT_PUSH);
            int group = 2 + random.nextInt(2);
            pushers.addAndGet(group);
            for (int i = 0; i < group; i++) {
                background(() -> {
                    Processes.Outcome outcome;
                    try {
                        outcome = Launcher.run(user, Map.of(), "wal-push", "--config", envFile.toString(), file.toString());
                    } finally {
                        pushers.decrementAndGet();
                    }
                    observe("concurrent pusher exit " + outcome.exitCode());
                    if (outcome.exitCode() == ExitCode.CONFLICT.code()) {
                        log.printf("round %d: concurrent push of %s says conflict: %s%n", index, segment, outcome.output().strip());
                    }
                });
            }
        }

        // ---- load, backups, archive ----------------------------------------------------------

        private void load() throws IOException {
            source.runTool("pgbench", "-n", "-c", "2", "-j", "1", "-T", Long.toString(options.loadPhase().toSeconds()), "postgres");
        }

        /**
         * Takes a backup, again after each failure (up to 12 attempts) once archiving works again:
         * backup-push refuses to start while pg_stat_archiver's last failure is newer than its
         * last success. The injector kills one attempt at most, so that a backup gets done.
         */
        private void backupUntilDone(String what, boolean required) throws Exception {
            backupKills.set(1);
            int attempts = required ? 12 : 2;
            for (int attempt = 1; attempt <= attempts; attempt++) {
                waitForArchiverSuccess();
                Map<String, String> env = new LinkedHashMap<>();
                env.put("PGHOST", "127.0.0.1");
                env.put("PGPORT", Integer.toString(source.port()));
                env.put("PGUSER", "postgres");
                env.put("PGDATABASE", "postgres");
                Processes.Outcome outcome = Launcher.run(user, env, "backup-push", "--config", envFile.toString(),
                        source.dataDirectory().toString());
                observe("backup-push exit " + outcome.exitCode());
                if (outcome.exitCode() == 0) {
                    log.printf("round %d: backup %s done after %d attempt(s)%n", index, what, attempt);
                    return;
                }
                log.printf("round %d: backup %s attempt %d: exit %d %s%n", index, what, attempt, outcome.exitCode(),
                        lastLine(outcome.output()));
            }
            if (required) {
                throw new AssertionError("round " + index + ": no backup " + what + " succeeded in 12 attempts");
            }
            observe("backup under faults given up after 2 attempts");
        }

        private final java.util.concurrent.atomic.AtomicInteger backupKills = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger restoreKills = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger walFetchKills = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger prefetchKills = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicInteger recoveryOutages = new java.util.concurrent.atomic.AtomicInteger();
        /** While a restored cluster is in archive recovery (set by {@link #recover}). */
        private final AtomicBoolean recovering = new AtomicBoolean();

        /** Waits (at most a minute) until PostgreSQL's last archiving success is newer than its last failure. */
        private void waitForArchiverSuccess() throws SQLException, InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (System.nanoTime() < deadline) {
                try (Connection c = source.connect(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT last_failed_time IS NULL OR last_archived_time > last_failed_time"
                             + " FROM pg_stat_archiver")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                Thread.sleep(200); // polling PostgreSQL's archiver
            }
        }

        /** A time after every commit so far, reached before the next load starts. */
        private Instant timeTarget() throws InterruptedException {
            Instant target = Instant.now().plusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            while (Instant.now().isBefore(target.plusMillis(50))) {
                Thread.sleep(20); // the next commits must have later timestamps than the target
            }
            return target;
        }

        /** Switches WAL and waits until PostgreSQL archived everything up to it, failures allowed (they are retried). */
        private void archiveEverything() throws Exception {
            for (int pass = 0; pass < 2; pass++) {
                String segment;
                try (Connection c = source.connect(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
                    rs.next();
                    segment = rs.getString(1);
                }
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (true) {
                    try (Connection c = source.connect(); Statement s = c.createStatement();
                         ResultSet rs = s.executeQuery("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) {
                        rs.next();
                        String last = rs.getString(1);
                        if (last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0) {
                            break;
                        }
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("round " + index + ": " + segment + " not archived within "
                                + WAIT.toSeconds() + " s without faults");
                    }
                    Thread.sleep(100); // polling PostgreSQL's archiver
                }
                if (spooled().isEmpty()) {
                    return;
                }
                // the spool still holds WAL: the next push drains it
            }
            List<String> left = spooled();
            if (!left.isEmpty()) {
                failures.add("round " + index + ": spool not drained after the outage: " + left);
            }
        }

        private List<String> spooled() throws IOException {
            try (Stream<Path> files = Files.list(spool)) {
                return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}.*")).sorted().toList();
            }
        }

        // ---- checks -----------------------------------------------------------------------

        private void verifyArchive() throws IOException {
            Processes.Outcome verify = Launcher.run(user, Map.of(), "wal-verify", "--deep", "--config", envFile.toString());
            Matcher m = VERIFY_SUMMARY.matcher(verify.output());
            long missing = 0;
            long bad = 0;
            if (m.find()) {
                missing = Long.parseLong(m.group(1));
                bad = Long.parseLong(m.group(2));
            }
            lost += missing;
            corrupt += bad;
            log.printf("round %d: wal-verify --deep exit %d: %s%n", index, verify.exitCode(), lastLine(verify.output()));
            if (verify.exitCode() != 0 || missing > 0 || bad > 0 || !m.find(0)) {
                failures.add("round " + index + ": wal-verify --deep exit " + verify.exitCode() + ": " + verify.output().strip());
            }
        }

        private void restoreAndCompare(String what, Instant target, DataFingerprint expected) throws Exception {
            Path destination = dir.resolve("restored-" + what);
            String restoreCommand = Launcher.path() + " wal-fetch --config " + envFile + " %f %p";
            List<String> args = new ArrayList<>(List.of("restore", "--config", envFile.toString(), destination.toString()));
            if (target != null) {
                args.addAll(List.of("--target-time", TARGET_TIME.format(target), "--target-action", "promote"));
            } else {
                args.add("LATEST");
            }
            args.addAll(List.of("--restore-command", restoreCommand));
            boolean restored = false;
            restoreKills.set(1);
            walFetchKills.set(2);
            prefetchKills.set(8);
            recoveryOutages.set(3);
            if (options.kinds().contains(Kind.S3_FLIP_DOWNLOAD)) {
                backupFlipArmed.set(true);
                proxy.inject(FaultProxy.Fault.FLIP_BYTE, 1);
            }
            for (int attempt = 1; attempt <= 10 && !restored; attempt++) {
                if (Files.exists(destination)) {
                    FileTrees.delete(destination);
                }
                Processes.Outcome outcome = Launcher.run(user, Map.of(), args.toArray(String[]::new));
                observe("restore exit " + outcome.exitCode());
                restored = outcome.exitCode() == 0;
                if (!restored) {
                    log.printf("round %d: restore %s attempt %d: exit %d %s%n", index, what, attempt, outcome.exitCode(),
                            lastLine(outcome.output()));
                }
            }
            if (!restored) {
                throw new AssertionError("round " + index + ": restore " + what + " did not succeed in 10 attempts");
            }
            LocalCluster cluster = LocalCluster.existing(binaries, user, destination, dir);
            toClose.add(cluster);
            cluster.configure(Map.of("archive_mode", "off"));
            recover(cluster, what);
            DataFingerprint actual;
            try (Connection c = cluster.connect()) {
                actual = DataFingerprint.of(c);
            }
            restoresCompared++;
            rowsCompared += expected.totalRows();
            if (!actual.equals(expected)) {
                wrongRestores++;
                failures.add("round " + index + ": restore to " + what + " differs from the source: expected " + expected
                        + ", got " + actual);
            } else {
                log.printf("round %d: restore to %s identical (%d rows)%n", index, what, expected.totalRows());
            }
            cluster.stop();
        }

        /**
         * Starts {@code cluster} in recovery and waits for its end; a recovery that stopped (the
         * startup process exits when its restore_command is killed by a signal) is started again,
         * as an operator would.
         */
        private void recover(LocalCluster cluster, String what) throws Exception {
            recovering.set(true);
            try {
                recoverUntilDone(cluster, what);
            } finally {
                recovering.set(false);
            }
        }

        /**
         * Waits while the recovery makes progress: {@link #WAIT} from its start or from the last
         * WAL file it restored (a loaded machine replays a 2 MiB segment in several seconds), at
         * most three times that in all; a recovery that restores nothing for that long fails.
         */
        private void recoverUntilDone(LocalCluster cluster, String what) throws Exception {
            long started = System.nanoTime();
            long deadline = started + WAIT.toNanos();
            long restored = 0;
            int polls = 0;
            int starts = 0;
            while (true) {
                Path pid = cluster.dataDirectory().resolve("postmaster.pid");
                if (!Files.exists(pid) || starts == 0) {
                    if (starts > 0) {
                        observe("recovery restarted after a killed restore_command");
                    }
                    starts++;
                    try {
                        cluster.start();
                    } catch (IOException e) {
                        log.printf("round %d: recovery %s start %d failed: %s%n", index, what, starts, lastLine(e.getMessage()));
                    }
                }
                try (Connection c = cluster.connect(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return;
                    }
                } catch (SQLException e) {
                    // starting, or stopped: the loop looks at postmaster.pid again
                }
                if (++polls % 10 == 0) {
                    long now = restoredFiles(cluster);
                    if (now != restored) { // a restart may begin a new log: any change is progress
                        restored = now;
                        deadline = Math.min(System.nanoTime() + WAIT.toNanos(), started + 3 * WAIT.toNanos());
                    }
                }
                if (System.nanoTime() > deadline || starts > 20) {
                    throw new AssertionError("round " + index + ": recovery " + what + " did not end (" + restored
                            + " WAL files restored, none for " + WAIT.toSeconds() + " s, or too long in all): "
                            + Processes.class.getSimpleName() + " log tail " + tail(cluster.readLog()));
                }
                Thread.sleep(100); // polling the server's state
            }
        }

        /** How many WAL files the server log says were restored from the archive. */
        private long restoredFiles(LocalCluster cluster) {
            return cluster.readLog().lines().filter(l -> l.contains("restored log file")).count();
        }

        private void checkLeftovers() throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            List<ProcessHandle> left = roundProcesses(null);
            while (!left.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100); // the prefetch worker exits on its own after 5 s without requests
                left = roundProcesses(null);
            }
            if (!left.isEmpty()) {
                leftoverProcesses += left.size();
                failures.add("round " + index + ": processes left behind: " + left.stream()
                        .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).collect(Collectors.joining("; ")));
            }
            List<String> temps = new ArrayList<>();
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(Files::isRegularFile).map(dir::relativize).map(Path::toString)
                        .filter(FaultCampaign::isTempName).forEach(temps::add);
            }
            s3.client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + "/")).contents().stream()
                    .map(o -> o.key()).filter(k -> isTempName(k)).forEach(k -> temps.add("s3:" + k));
            try {
                s3.client().listMultipartUploads(b -> b.bucket(bucket).prefix(prefix + "/")).uploads()
                        .forEach(u -> temps.add("s3 multipart upload:" + u.key()));
            } catch (RuntimeException e) {
                observe("s3proxy cannot list multipart uploads");
            }
            if (!temps.isEmpty()) {
                leftoverTempFiles += temps.size();
                failures.add("round " + index + ": temporary files left behind: " + temps);
            }
        }
    }

    /** The temporary names walstash uses: {@code .NAME.RANDOM.tmp} and {@code .NAME.RANDOM.walstash-tmp}. */
    static boolean isTempName(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.contains("walstash-tmp") || (name.startsWith(".") && name.endsWith(".tmp"));
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String tail(String text) {
        String trimmed = text.strip();
        return trimmed.substring(Math.max(0, trimmed.length() - 1500));
    }

    private static DataFingerprint fingerprint(LocalCluster cluster) throws SQLException {
        try (Connection c = cluster.connect()) {
            return DataFingerprint.of(c);
        }
    }
}
