package io.walstash.cli;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.codec.Codecs;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import io.walstash.core.verify.CorruptObject;
import io.walstash.core.verify.Verdict;
import io.walstash.core.verify.WalChainReport;
import io.walstash.core.verify.WalChainVerifier;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "wal-verify", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Check that the archived WAL can restore the newest backup to the end of the archive:",
                "from the oldest backup's start, along the timelines the newest timeline's history leads through,",
                "every segment must be stored. Prints one line per finding and a summary; verdict OK, LATE_ONLY",
                "(only segments that newer ones overtook within the late window are missing: archiving is still",
                "running; exit 0) or BROKEN (exit 9). --deep downloads every WAL object and checks its checksum",
                "and that it is a segment of this cluster (exit 6 naming the object)."})
final class WalVerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Option(names = "--deep", description = "Download and check every WAL object")
    boolean deep;

    @Option(names = "--late-window", paramLabel = "DURATION", defaultValue = "5m",
            description = "A missing segment is late, not lost, when every later one was stored within this (default 5m; s, m, h)")
    String lateWindow;

    @Override
    public Integer call() throws Exception {
        Duration window = parseDuration(lateWindow);
        PrintWriter out = spec.commandLine().getOut();
        Configuration configuration = config.load();
        WalChainReport report;
        try (Storage storage = config.open(configuration)) {
            int concurrency = CoreSettings.DOWNLOAD_CONCURRENCY.get(configuration.settings());
            report = new WalChainVerifier(storage, Codecs.installed(), Clock.systemUTC())
                    .verify(window, deep, Math.max(1, concurrency));
        }
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(json(report)));
        } else {
            print(report, out);
        }
        out.flush();
        return exitCode(report).code();
    }

    /** Corrupt objects first, then a broken chain; LATE_ONLY is no failure. */
    static ExitCode exitCode(WalChainReport report) {
        if (!report.corrupt().isEmpty()) {
            return ExitCode.CORRUPT;
        }
        return report.verdict() instanceof Verdict.Broken ? ExitCode.WAL_CHAIN_BROKEN : ExitCode.OK;
    }

    /** {@code 90s}, {@code 5m}, {@code 1h}, a bare number of seconds, or ISO-8601 ({@code PT5M}). */
    static Duration parseDuration(String text) {
        String t = text.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p")) {
                return Duration.parse(text.strip());
            }
            if (t.matches("\\d+")) {
                return Duration.ofSeconds(Long.parseLong(t));
            }
            if (t.matches("\\d+(ms|s|m|h)")) {
                long n = Long.parseLong(t.replaceAll("[a-z]+$", ""));
                return switch (t.replaceAll("^\\d+", "")) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
        } catch (RuntimeException e) {
            // fall through to the one message below
        }
        throw new IllegalArgumentException("--late-window " + text + " is not a duration such as 90s, 5m or 1h");
    }

    private static void print(WalChainReport r, PrintWriter out) {
        out.printf("segment size %d MiB (%s), latest timeline %d, path %s%n", r.segmentSize() >> 20,
                r.segmentSizeSource(), r.latestTimeline(), r.timelinePath());
        for (WalChainReport.Range range : r.present()) {
            out.printf("present   %s..%s (%d segments)%n", range.first(), range.last(), range.count());
        }
        for (WalChainReport.TimelineSwitch s : r.switches()) {
            out.printf("switch    timeline %d -> %d at %s (segment %s)%s%n", s.from(), s.to(), s.lsn(), s.segment(),
                    s.onPath() ? "" : ", off the path to the latest timeline");
        }
        for (WalChainReport.Gap g : r.gaps()) {
            out.printf("%s %s%s%n", g.late() ? "late     " : "missing  ",
                    g.count() == 1 ? g.first() : g.first() + ".." + g.last(),
                    g.count() == 1 ? "" : " (" + g.count() + " segments)");
        }
        for (CorruptObject c : r.corrupt()) {
            out.printf("corrupt   %s: %s%n", c.key(), c.problem());
        }
        for (String p : r.problems()) {
            out.printf("problem   %s%n", p);
        }
        for (WalChainReport.BackupReach b : r.backups()) {
            if (!b.restorableToEnd()) {
                out.printf("backup    %s cannot be restored to the end of the archive%s%n", b.name(),
                        !b.onPath() ? ": it is not on the latest timeline's history"
                                : b.firstMissing() != null ? ": " + b.firstMissing() + " is missing" : ": corrupt WAL after its start");
            }
        }
        String summary;
        if (r.verdict() instanceof Verdict.Broken broken) {
            summary = String.join("; ", broken.reasons());
        } else if (r.verdict() instanceof Verdict.LateOnly late) {
            summary = late.lateSegments() + " segments are late; archiving is still running";
        } else {
            summary = r.backups().isEmpty() ? "no backups; the archived WAL has no gaps"
                    : "the newest backup restores to the end of the archive";
        }
        out.printf("%s: %s..%s, %d missing, %d corrupt%s; %s%n", r.verdict().status(),
                r.first() == null ? "-" : r.first(), r.last() == null ? "-" : r.last(), r.missingSegments(),
                r.corrupt().size(), r.deep() ? ", " + r.objectsRead() + " objects read" : "", summary);
    }

    private static Map<String, Object> json(WalChainReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("verdict", r.verdict().status());
        m.put("reasons", r.verdict() instanceof Verdict.Broken b ? b.reasons() : java.util.List.of());
        m.put("late_segments", r.verdict() instanceof Verdict.LateOnly l ? l.lateSegments() : 0);
        m.put("checked_at", r.checkedAt().toString());
        m.put("late_window_seconds", r.lateWindow().toSeconds());
        m.put("deep", r.deep());
        m.put("segment_size", r.segmentSize());
        m.put("segment_size_source", r.segmentSizeSource());
        m.put("system_identifier", r.systemIdentifier());
        m.put("latest_timeline", r.latestTimeline());
        m.put("timeline_path", r.timelinePath());
        m.put("first", r.first());
        m.put("last", r.last());
        m.put("present", r.present());
        m.put("gaps", r.gaps());
        m.put("missing_segments", r.missingSegments());
        m.put("switches", r.switches());
        m.put("backups", r.backups());
        m.put("corrupt", r.corrupt());
        m.put("problems", r.problems());
        m.put("objects_read", r.objectsRead());
        m.put("unverified_objects", r.unverified());
        return m;
    }
}
