package io.walstash.cli;

import io.walstash.core.config.Configuration;
import io.walstash.core.config.Settings;
import io.walstash.core.io.OwnerOnly;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * WALSTASH_LOG_FILE: one line per operation appended to a file an operator tails or greps, as the
 * seed's scripts wrote wal-archive.log and wal-restore.log (WAL_ARCHIVE_LOG, WAL_RESTORE_LOG, read
 * as they read them: the first for wal-push alone, the second for wal-fetch alone). Served by the
 * command line or by a daemon, the line is the same and goes to the file the caller's configuration
 * names: the settings are part of an auto daemon's configuration (its socket's digest), so a call
 * naming another file gets another daemon. A file that cannot be written never fails the operation.
 */
public final class OperationLog {
    /** What a line says. */
    enum Result { OK, WARNING, NOT_FOUND, ERROR }

    /**
     * One finished operation.
     *
     * @param subject the segment or file it was about, or empty
     * @param detail  the warning or the problem, one line already free of secrets (the stderr line), or empty
     */
    public record Entry(Instant at, String verb, Optional<String> subject, Result result, int exitCode, Duration took,
                 Optional<String> detail) {
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);
    private static final String WARNING_PREFIX = "walstash: warning: ";

    /** Verbs that are no operation of their own: the daemon logs each request it serves; the prefetch worker is a wal-fetch's helper. */
    private static final Set<String> UNLOGGED = Set.of("daemon", Launchers.PREFETCH_WORKER);

    private final AtomicBoolean warned = new AtomicBoolean();

    /** A command whose operation has a subject (wal-push's segment, wal-fetch's) and, once run, an outcome of its own words. */
    interface Logged {
        /** The segment, or null when the command line gave none (a usage error). */
        String subject();

        Optional<WalOutcome> outcome();
    }

    /**
     * After {@code commandLine} ran (since {@code startedNanos}) and returned {@code exitCode} having
     * met {@code raised}: appends its line to the file its configuration names, if any. Never throws,
     * never changes the code; a warning goes to {@code err}.
     */
    static void afterRun(CommandLine commandLine, int exitCode, List<CommandOutcome.Problem> raised, long startedNanos,
                         PrintWriter err) {
        try {
            ParseResult parsed = commandLine.getParseResult();
            if (parsed == null || !parsed.hasSubcommand() || parsed.subcommand().isUsageHelpRequested()
                    || parsed.subcommand().isVersionHelpRequested()) {
                return;
            }
            CommandSpec command = parsed.subcommand().commandSpec();
            if (UNLOGGED.contains(command.name())) {
                return;
            }
            Optional<Configuration> configuration = Notifications.configuration(command);
            if (configuration.isEmpty()) {
                return;
            }
            String verb = command.name();
            Path directory = Path.of("").toAbsolutePath();
            if (file(configuration.get().settings(), verb, directory).isEmpty()) {
                return;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
            Object user = command.userObject();
            Optional<WalOutcome> own = user instanceof Logged logged ? logged.outcome() : Optional.empty();
            Entry entry;
            if (own.isPresent() && ((Logged) user).subject() != null) {
                entry = entry(verb, ((Logged) user).subject(), own.get(), took);
            } else {
                List<CommandOutcome.Problem> problems = new ArrayList<>(raised);
                if (user instanceof CommandOutcome.Reporting reporting) {
                    problems.addAll(0, reporting.problems());
                }
                Result result = exitCode == ExitCode.OK.code() ? Result.OK
                        : exitCode == ExitCode.NOT_FOUND.code() && "wal-fetch".equals(verb) ? Result.NOT_FOUND : Result.ERROR;
                entry = new Entry(Instant.now(), verb, user instanceof Logged logged ? Optional.ofNullable(logged.subject())
                        : Optional.empty(), result, exitCode, took, problems.stream().findFirst().map(CommandOutcome.Problem::message));
            }
            new OperationLog().append(configuration.get().settings(), directory, entry).ifPresent(err::println);
        } catch (RuntimeException e) {
            // the log never changes what the command reported
            err.println("walstash: warning: operation log not written: " + e.getClass().getSimpleName());
        } finally {
            err.flush();
        }
    }

    /** The line, without its newline: {@code TIME VERB SUBJECT RESULT exit=N Nms[: detail]}. */
    static String line(Entry entry) {
        StringBuilder line = new StringBuilder(TIME.format(entry.at())).append(' ').append(entry.verb()).append(' ')
                .append(entry.subject().map(OperationLog::oneWord).orElse("-")).append(' ').append(entry.result())
                .append(" exit=").append(entry.exitCode()).append(' ').append(entry.took().toMillis()).append("ms");
        entry.detail().filter(d -> !d.isBlank()).ifPresent(d -> line.append(": ").append(d.replaceAll("[\\r\\n]+", " ")));
        return line.toString();
    }

    private static String oneWord(String subject) {
        return subject.isBlank() ? "-" : subject.replaceAll("\\s", "_");
    }

    /**
     * The entry of a daemon's request, begun at {@code startedNanos}: as the command line would log it
     * ({@code push}: a wal-push, else a wal-fetch; {@code argument}: wal-push's path, wal-fetch's segment name).
     */
    public static Entry entry(boolean push, String argument, WalOutcome outcome, long startedNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
        return push ? entry("wal-push", fileName(argument), outcome, took) : entry("wal-fetch", argument, outcome, took);
    }

    /** The last name of {@code path}: wal-push's subject, whether given as pg_wal/NAME or an absolute path. */
    static String fileName(String path) {
        Path name = Path.of(path).getFileName();
        return name == null ? path : name.toString();
    }

    /** The entry of a push or fetch that ended in {@code outcome}, as the command line or a daemon answered it. */
    static Entry entry(String verb, String subject, WalOutcome outcome, Duration took) {
        Result result;
        Optional<String> detail = outcome.problem();
        if (outcome.exitCode() == ExitCode.OK.code()) {
            boolean warning = outcome.message().startsWith(WARNING_PREFIX);
            result = warning ? Result.WARNING : Result.OK;
            detail = warning ? Optional.of(outcome.message().substring(WARNING_PREFIX.length())) : Optional.empty();
        } else if (outcome.exitCode() == ExitCode.NOT_FOUND.code() && "wal-fetch".equals(verb)) {
            result = Result.NOT_FOUND;
        } else {
            result = Result.ERROR;
        }
        return new Entry(Instant.now(), verb, Optional.of(subject), result, outcome.exitCode(), took, detail);
    }

    /** The file {@code verb}'s lines go to under {@code settings}, resolved against {@code directory}; empty: none. */
    static Optional<Path> file(Settings settings, String verb, Path directory) {
        Optional<String> file = OperationLogSettings.LOG_FILE.find(settings);
        if (file.isEmpty() && "wal-push".equals(verb)) {
            file = OperationLogSettings.ARCHIVE_LOG.find(settings);
        } else if (file.isEmpty() && "wal-fetch".equals(verb)) {
            file = OperationLogSettings.RESTORE_LOG.find(settings);
        }
        return file.map(String::strip).filter(f -> !f.isEmpty()).map(directory::resolve);
    }

    /**
     * Appends {@code entry}'s line to the file {@code settings} name for its verb, if any. Never
     * throws: a file that cannot be written answers a warning line, the first time only (this log's
     * lifetime: one command, or a daemon's), and empty after that.
     */
    public Optional<String> append(Settings settings, Path directory, Entry entry) {
        Optional<Path> file;
        try {
            file = file(settings, entry.verb(), directory);
        } catch (RuntimeException e) {
            return warnOnce("no operation log: " + e.getMessage());
        }
        if (file.isEmpty()) {
            return Optional.empty();
        }
        // opened for each line, O_APPEND: lines of concurrent processes (a daemon and a call working
        // alone) never interleave, and a file logrotate moved away is created afresh
        try (FileChannel channel = OwnerOnly.open(file.get(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer bytes = ByteBuffer.wrap((line(entry) + "\n").getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return warnOnce("cannot write the operation log " + file.get() + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); operations go on without it");
        }
    }

    private Optional<String> warnOnce(String warning) {
        return warned.compareAndSet(false, true) ? Optional.of(WARNING_PREFIX + warning) : Optional.empty();
    }
}
