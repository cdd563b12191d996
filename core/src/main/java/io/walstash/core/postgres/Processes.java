package io.walstash.core.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs PostgreSQL's tools as child processes with a bounded wait. */
public final class Processes {
    private Processes() {
    }

    /** The result of a finished process: exit code and its merged stdout/stderr. */
    public record Outcome(int exitCode, String output) {
    }

    /** Runs {@code command}; fails with its exit code and the end of its output unless it exits 0. */
    public static String run(List<String> command, Map<String, String> environment, Duration timeout) throws IOException {
        Outcome outcome = runAllowingFailure(command, environment, timeout);
        if (outcome.exitCode() != 0) {
            throw new IOException(String.join(" ", command.subList(0, Math.min(command.size(), 6)))
                    + (command.size() > 6 ? " …" : "") + " exited " + outcome.exitCode() + ": " + tail(outcome.output()));
        }
        return outcome.output();
    }

    public static Outcome runAllowingFailure(List<String> command, Map<String, String> environment, Duration timeout)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // walstash's launcher hands its JVM the class path in CLASSPATH: not for the programs it runs
        builder.environment().remove("CLASSPATH");
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            return new Outcome(process.exitValue(), output.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + command.get(0), e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("could not read the output of " + command.get(0), e);
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String tail(String output) {
        String trimmed = output.strip();
        int from = Math.max(0, trimmed.length() - 600);
        return trimmed.substring(from).replace('\n', ' ');
    }
}
