package io.walstash.core.archive;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The temporary files a fetch writes beside its destination ({@code .NAME.PID.RANDOM.walstash-tmp}
 * in {@code pg_wal}, before the rename to {@code RECOVERYXLOG} or a segment's name). A fetch killed
 * mid-write (SIGKILL, an OOM kill, a crash) cannot remove its own, and PostgreSQL never removes a
 * name it did not make: every killed fetch would leave up to a segment's worth in {@code pg_wal}.
 * So each fetch first removes the temporary files of earlier fetches of the same name whose
 * process is gone. The process id in the name is what tells them apart: a file whose writer still
 * runs (a daemon serving several requests, a reused process id) is left alone, so at worst a
 * leftover stays, never a live writer's file is taken away.
 */
final class AbandonedTemps {
    static final String SUFFIX = ".walstash-tmp";

    private AbandonedTemps() {
    }

    /**
     * A fresh temporary name for {@code targetName} in {@code directory}, after removing the
     * abandoned ones of earlier writers of that name. Removal is best effort: a file that cannot be
     * removed does not fail the fetch.
     */
    static Path claim(Path directory, String targetName) {
        String prefix = "." + targetName + ".";
        removeAbandoned(directory, name -> name.startsWith(prefix));
        return directory.resolve(prefix + ProcessHandle.current().pid() + "." + UUID.randomUUID() + SUFFIX);
    }

    /**
     * Removes the temporary files in {@code directory} whose name {@code among} accepts and whose
     * writer is gone. Best effort: a directory that cannot be listed (or is missing) or a file that
     * cannot be removed leaves the leftover where it is, and the caller goes on.
     */
    static void removeAbandoned(Path directory, Predicate<String> among) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, entry -> {
            String name = entry.getFileName().toString();
            return among.test(name) && isAbandoned(name);
        })) {
            for (Path entry : entries) {
                Files.deleteIfExists(entry);
            }
        } catch (IOException | RuntimeException e) {
            // the leftover stays
        }
    }

    /**
     * Whether {@code name} is a temporary file of the form {@link #claim} gives
     * ({@code .NAME.PID.RANDOM.walstash-tmp}, whatever NAME) whose writer is gone: a fetch into the
     * prefetch directory killed mid-write leaves one under a name no later fetch may claim again.
     */
    static boolean isAbandoned(String name) {
        if (!name.startsWith(".") || !name.endsWith(SUFFIX)) {
            return false;
        }
        String withoutSuffix = name.substring(0, name.length() - SUFFIX.length());
        int random = withoutSuffix.lastIndexOf('.');
        int pid = random > 0 ? withoutSuffix.lastIndexOf('.', random - 1) : -1;
        if (pid <= 1) {
            return false; // no NAME, PID or RANDOM: not one of ours
        }
        long writer = writerOf(name, withoutSuffix.substring(0, pid + 1));
        return writer > 0 && ProcessHandle.of(writer).isEmpty();
    }

    /** The writer's process id from {@code .NAME.PID.RANDOM.walstash-tmp}; -1 for another form (an older walstash's). */
    static long writerOf(String name, String prefix) {
        String middle = name.substring(prefix.length(), name.length() - SUFFIX.length());
        int dot = middle.indexOf('.');
        if (dot <= 0 || dot > 19) {
            return -1;
        }
        for (int i = 0; i < dot; i++) {
            if (!Character.isDigit(middle.charAt(i))) {
                return -1;
            }
        }
        return Long.parseLong(middle, 0, dot, 10);
    }
}
