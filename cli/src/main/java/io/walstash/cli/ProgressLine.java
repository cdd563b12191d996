package io.walstash.cli;

import io.walstash.core.config.Settings;
import io.walstash.core.progress.WorkProgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Renders core's {@link WorkProgress} counts on stderr: on a terminal a live line redrawn in place
 * (carriage return) at most every {@link #TERMINAL_REDRAW}; otherwise (a log, a cron mail, a
 * container's output) one whole line every {@code interval}. Never on stdout, so {@code --json}
 * and the printed backup name stay as they were.
 */
final class ProgressLine implements WorkProgress {
    static final Duration TERMINAL_REDRAW = Duration.ofMillis(250);

    private final PrintWriter err;
    private final boolean terminal;
    private final long everyNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong files = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    /** When the last line was printed; a worker that wins the compare-and-set prints the next. */
    private final AtomicLong lastPrinted = new AtomicLong();
    private volatile String task = "work";
    private volatile long totalFiles = -1;
    private volatile long totalBytes = -1;
    private volatile long startedAt;
    private volatile boolean drawn;

    ProgressLine(PrintWriter err, boolean terminal, Duration interval, LongSupplier nanoClock) {
        this.err = err;
        this.terminal = terminal;
        this.everyNanos = (terminal ? TERMINAL_REDRAW : interval).toNanos();
        this.nanoClock = nanoClock;
    }

    /** The progress of a command writing to {@code err}: live on a terminal, periodic lines otherwise, none at interval 0. */
    static WorkProgress forStderr(PrintWriter err, Settings settings) {
        Duration interval = CliSettings.PROGRESS_INTERVAL.get(settings);
        if (interval.isZero()) {
            return WorkProgress.NONE;
        }
        return new ProgressLine(err, stderrIsTerminal(), interval, System::nanoTime);
    }

    /** Java 17 only knows whether stdin and stdout are a console; stderr is ours to find out (Linux's /proc). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false; // unknown: whole lines are right everywhere
        }
    }

    @Override
    public void begin(String task, long files, long bytes) {
        this.task = task;
        this.totalFiles = files;
        this.totalBytes = bytes;
        long now = nanoClock.getAsLong();
        this.startedAt = now;
        lastPrinted.set(now);
    }

    @Override
    public void advance(long files, long bytes) {
        this.files.addAndGet(files);
        this.bytes.addAndGet(bytes);
        long now = nanoClock.getAsLong();
        long last = lastPrinted.get();
        if (now - last >= everyNanos && lastPrinted.compareAndSet(last, now)) {
            print(now);
        }
    }

    @Override
    public void end() {
        if (terminal && drawn) {
            synchronized (err) {
                err.print('\n'); // the live line stays, the next message starts below it
                err.flush();
            }
        }
    }

    private void print(long now) {
        String line = line(now);
        synchronized (err) {
            if (terminal) {
                // pad to clear what a longer previous line left
                err.print("\r" + String.format(Locale.ROOT, "%-100s", line));
                drawn = true;
            } else {
                err.println(line);
            }
            err.flush();
        }
    }

    /** e.g. {@code walstash: backup base_X: 12/340 files, 45.2/120.0 MiB (37%), 12.3 MiB/s, ETA 6 s}. */
    String line(long now) {
        long doneFiles = files.get();
        long doneBytes = bytes.get();
        double seconds = Math.max(1e-9, (now - startedAt) / 1e9);
        double rate = doneBytes / seconds;
        StringBuilder s = new StringBuilder("walstash: ").append(task).append(": ").append(doneFiles);
        if (totalFiles >= 0) {
            s.append('/').append(totalFiles);
        }
        s.append(" files, ").append(mib(doneBytes));
        if (totalBytes >= 0) {
            s.append('/').append(mib(totalBytes));
        }
        s.append(" MiB");
        if (totalBytes > 0) {
            s.append(" (").append(Math.min(100, doneBytes * 100 / totalBytes)).append("%)");
        }
        s.append(", ").append(mib((long) rate)).append(" MiB/s");
        if (totalBytes >= 0 && rate > 0) {
            s.append(", ETA ").append(Math.max(0, Math.round((totalBytes - doneBytes) / rate))).append(" s");
        }
        return s.toString();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }
}
