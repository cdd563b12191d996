package io.walstash.cli;

import io.walstash.core.postgres.OsUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The launcher running in the background (a receiver, a backup that waits), its output in a file. */
final class BackgroundLauncher implements AutoCloseable {
    private final Process process;
    private final Path output;

    private BackgroundLauncher(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static BackgroundLauncher start(OsUser user, Map<String, String> environment, Path output, String... arguments)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Launcher.path().toString());
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(user.wrap(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        builder.environment().putAll(Launcher.withCache(environment));
        return new BackgroundLauncher(builder.start(), output);
    }

    String output() throws IOException {
        return Files.readString(output);
    }

    /** Waits (bounded) until the output matches {@code pattern} {@code times} times; fails with the output otherwise. */
    void awaitOutput(Pattern pattern, int times, Duration wait) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        while (pattern.matcher(output()).results().count() < times) {
            if (!process.isAlive()) {
                throw new AssertionError("exited " + process.exitValue() + " before printing " + pattern + ": " + output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + pattern + " within " + wait.toSeconds() + " s: " + output());
            }
            Thread.sleep(50); // polling interval of a bounded wait on another process's output
        }
    }

    /** Waits for the exit (bounded); returns the exit code. */
    int awaitExit(Duration wait) throws Exception {
        if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + wait.toSeconds() + " s: " + output());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** kill -9 of the JVM (not of runuser or the launcher script around it), and waits for it to be gone. */
    void kill9() throws Exception {
        // the JVM and everything between it and this test (runuser, the launcher's shell): a JVM
        // looked for by its command name was missed once under load and the wrapper waited on
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroyForcibly); // SIGKILL
        for (ProcessHandle p : all) {
            p.onExit().get(30, TimeUnit.SECONDS);
        }
        awaitExit(Duration.ofSeconds(30));
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill9();
        }
    }
}
