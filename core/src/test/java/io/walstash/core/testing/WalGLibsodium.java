package io.walstash.core.testing;

import io.walstash.core.io.FileTrees;
import io.walstash.core.io.OwnerOnly;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * WAL-G's libsodium encryption done by libsodium itself (Debian's {@code libsodium-dev}): the small C
 * program {@code walg-libsodium/walg-encrypt.c}, built with gcc on first use, encrypts as WAL-G's
 * writer does. What walstash decrypts is checked against this independent writer, never only
 * against walstash's own code.
 */
public final class WalGLibsodium {
    private static final String SOURCE = "/walg-libsodium/walg-encrypt.c";
    private static Path built;

    private WalGLibsodium() {
    }

    /**
     * The encrypting program, built once per JVM into a directory of its own that any user may enter
     * (a restore_command running as PostgreSQL's OS user calls it too).
     */
    public static synchronized Path program() throws IOException {
        if (built == null) {
            Path directory = Files.createTempDirectory("walstash-walg-libsodium-");
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path source = directory.resolve("walg-encrypt.c");
            try (InputStream in = WalGLibsodium.class.getResourceAsStream(SOURCE)) {
                if (in == null) {
                    throw new IOException(SOURCE + " is not on the class path");
                }
                Files.copy(in, source);
            }
            Path program = directory.resolve("walg-encrypt");
            run(List.of("gcc", "-O2", "-Wall", "-o", program.toString(), source.toString(), "-lsodium"), new byte[0]);
            Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    FileTrees.delete(directory);
                } catch (IOException ignored) {
                    // a temporary directory left behind; nothing to report at JVM exit
                }
            }));
            built = program;
        }
        return built;
    }

    /** {@code plain} encrypted under {@code key} (32 bytes) as WAL-G writes it; {@code options} as the program takes them. */
    public static byte[] encrypt(byte[] key, byte[] plain, String... options) {
        try {
            Path keyFile = writeKey(key, Files.createTempFile("walstash-walg-key-", ""));
            try {
                List<String> command = new ArrayList<>(List.of(program().toString(), keyFile.toString()));
                command.addAll(List.of(options));
                return run(command, plain);
            } finally {
                Files.deleteIfExists(keyFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the raw {@code key} to {@code file}, owner-only, for the program's KEY_FILE argument. */
    public static Path writeKey(byte[] key, Path file) throws IOException {
        try (OutputStream out = java.nio.channels.Channels.newOutputStream(
                OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE))) {
            out.write(key);
        }
        return file;
    }

    private static byte[] run(List<String> command, byte[] input) throws IOException {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        Thread feeder = new Thread(() -> {
            try (OutputStream stdin = process.getOutputStream()) {
                stdin.write(input);
            } catch (IOException ignored) {
                // the program exited early: its exit code and stderr say why
            }
        });
        Thread drainer = new Thread(() -> {
            try (InputStream stderr = process.getErrorStream()) {
                stderr.transferTo(errors);
            } catch (IOException ignored) {
                // stderr is only for the failure message
            }
        });
        feeder.start();
        drainer.start();
        try (InputStream stdout = process.getInputStream()) {
            stdout.transferTo(output);
        }
        try {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish");
            }
            feeder.join();
            drainer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ": " + errors);
        }
        return output.toByteArray();
    }
}
