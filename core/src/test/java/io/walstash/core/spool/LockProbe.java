package io.walstash.core.spool;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Another process asking for the OS lock on a file, as a command-line push would: exits 0 when it
 * got the lock (and released it), 3 when another process holds it. OS locks are per process, so
 * only a second process can tell whether this one really holds a lock.
 */
public final class LockProbe {
    private LockProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            System.exit(lock == null ? 3 : 0);
        }
    }

    /** Runs the probe on {@code file} in a new JVM; true when it could take the lock. */
    public static boolean canLock(Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process probe = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), file.toString())).inheritIO().start();
        if (!probe.waitFor(60, TimeUnit.SECONDS)) {
            probe.destroyForcibly();
            throw new AssertionError("lock probe did not finish");
        }
        if (probe.exitValue() != 0 && probe.exitValue() != 3) {
            throw new AssertionError("lock probe failed with exit " + probe.exitValue());
        }
        return probe.exitValue() == 0;
    }
}
