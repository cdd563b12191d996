package io.walstash.examples.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The images examples/deploy's container tests run, built once per test JVM from local images only
 * (no registry): a PostgreSQL base from Debian's packages on a raw Debian image, walstash's image
 * (examples/deploy/docker/Dockerfile) on it, and an s3proxy image from s3proxy's jar. The engine is
 * the one DOCKER_HOST names (else the default socket). docker and docker-compose are run as
 * processes with a bounded wait; secrets go to them through their environment, never as arguments.
 */
final class DeployImages {
    static final Path ROOT = Path.of(System.getProperty("walstash.root", "..")).toAbsolutePath().normalize();
    static final Path WORK = Path.of(System.getProperty("walstash.deploy.it", "target/deploy-it")).toAbsolutePath();
    static final Path TEST_FILES = ROOT.resolve("examples/src/test/deploy");
    /** A raw Debian image in the engine (debootstrap --variant=minbase + docker import). */
    static final String DEBIAN_IMAGE = setting("WALSTASH_IT_DEBIAN_IMAGE", "walstash-dev/debian:bookworm");
    static final String BASE = "walstash-it/postgres-base:debian";
    static final String WALSTASH = "walstash-it/walstash-postgres:debian";
    static final String S3PROXY = "walstash-it/s3proxy:4.1.0";

    private static boolean built;

    private DeployImages() {
    }

    static synchronized void build() throws Exception {
        if (built) {
            return;
        }
        Path launcher = ROOT.resolve("cli/target/walstash/bin/walstash");
        assertThat(launcher).as("the launcher folder (cli is packaged before examples in the reactor)").exists();
        // dev/with-docker.sh makes the raw Debian image in the background while Maven builds
        await(Duration.ofMinutes(10), Result::succeeded, () -> docker(Duration.ofMinutes(1), Map.of(), "image", "inspect", DEBIAN_IMAGE))
                .ok();
        docker(Duration.ofMinutes(10), Map.of(), "build", "-q", "--build-arg", "DEBIAN_IMAGE=" + DEBIAN_IMAGE,
                "-t", BASE, TEST_FILES.resolve("postgres-base").toString()).ok();
        docker(Duration.ofMinutes(10), Map.of(), "build", "-q", "-f", "examples/deploy/docker/Dockerfile",
                "--build-arg", "BASE_IMAGE=" + BASE, "-t", WALSTASH, ROOT.toString()).ok();
        // s3proxy's context: its Dockerfile and entrypoint beside the jar the build copied
        Path s3proxy = WORK.resolve("s3proxy");
        assertThat(s3proxy.resolve("s3proxy.jar")).exists();
        for (String file : List.of("Dockerfile", "s3proxy-entrypoint.sh")) {
            Files.copy(TEST_FILES.resolve("s3proxy").resolve(file), s3proxy.resolve(file),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // any image with a JRE serves; walstash's has one
        docker(Duration.ofMinutes(5), Map.of(), "build", "-q", "--build-arg", "JRE_IMAGE=" + WALSTASH,
                "-t", S3PROXY, s3proxy.toString()).ok();
        built = true;
    }

    static String setting(String name, String otherwise) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? otherwise : value;
    }

    static Result docker(Duration timeout, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return run(timeout, env, command);
    }

    /** Runs a command in the repository root; stdout and stderr go to files, read at the end. */
    static Result run(Duration timeout, Map<String, String> env, List<String> command) throws IOException, InterruptedException {
        Files.createDirectories(WORK);
        Path output = Files.createTempFile(WORK, "run", ".out");
        Path errors = Files.createTempFile(WORK, "run", ".err");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                    .redirectOutput(output.toFile()).redirectError(errors.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(command, -1, Files.readString(output),
                        Files.readString(errors) + "\n(timed out after " + timeout + ")");
            }
            return new Result(command, process.exitValue(), Files.readString(output), Files.readString(errors));
        } finally {
            Files.deleteIfExists(output);
            Files.deleteIfExists(errors);
        }
    }

    /** Polls {@code check} until it holds or {@code timeout} passes; the last result is returned either way. */
    static Result await(Duration timeout, Predicate<Result> holds, Check check) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        Result last = check.run();
        while (!holds.test(last) && Instant.now().isBefore(deadline)) {
            Thread.sleep(500); // a polling interval, not a synchronisation: the condition decides
            last = check.run();
        }
        return last;
    }

    interface Check {
        Result run() throws Exception;
    }

    record Result(List<String> command, int exit, String output, String errors) {
        boolean succeeded() {
            return exit == 0;
        }

        Result ok() {
            assertThat(exit).as(String.join(" ", command) + " failed:\n" + output + errors).isZero();
            return this;
        }

        String trimmed() {
            return output.strip();
        }
    }
}
