package io.walstash.cli;

import io.walstash.core.archive.CorruptObjectException;
import io.walstash.core.archive.ForeignRepositoryException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;

/** The one place that turns a failure into an exit code and a one-line message. */
final class Failures {
    private Failures() {
    }

    static ExitCode exitCodeOf(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof io.walstash.core.receive.WalReceiver.SlotBusyException) {
            return ExitCode.SLOT_BUSY;
        }
        if (t instanceof io.walstash.core.receive.WalReceiver.ConflictException) {
            return ExitCode.CONFLICT;
        }
        if (t instanceof ForeignRepositoryException) {
            return ExitCode.FOREIGN_REPOSITORY;
        }
        if (t instanceof io.walstash.core.backup.BackupCatalog.NoSuchBackupException) {
            return ExitCode.NOT_FOUND;
        }
        if (t instanceof io.walstash.core.check.PostgresCheck.NotArchivingHereException notHere) {
            return notHere.problem() == io.walstash.core.check.PostgresCheck.NotArchivingHereException.Problem.SEGMENT_DID_NOT_ARRIVE
                    ? ExitCode.ARCHIVE_NOT_ARRIVING : ExitCode.NOT_ARCHIVING;
        }
        if (t instanceof java.sql.SQLException || t instanceof io.walstash.core.backup.BackupPush.StandbyPromotedException) {
            return ExitCode.POSTGRES;
        }
        if (t instanceof CorruptObjectException || t instanceof io.walstash.core.backup.BackupPush.CorruptPagesException
                || t instanceof io.walstash.core.backup.UnsafeManifestException) {
            return ExitCode.CORRUPT;
        }
        if (t instanceof IllegalArgumentException || t instanceof io.walstash.core.crypto.EncryptionKeyException) {
            return ExitCode.INVALID_INPUT;
        }
        if (t instanceof java.io.IOException) {
            return ExitCode.IO_ERROR;
        }
        return ExitCode.FAILURE;
    }

    /** One line, naming the file or object concerned; never a setting's value. */
    static String describe(Throwable failure) {
        Throwable t = unwrap(failure);
        Optional<String> worded = Flags.word(t);
        if (worded.isPresent()) {
            return worded.get();
        }
        if (t instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile() + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
        }
        if (t instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile() + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
        }
        if (t instanceof FileSystemException e) {
            return e.getFile() + ": " + (e.getReason() == null ? e.getClass().getSimpleName() : e.getReason());
        }
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return message.lines().findFirst().orElse(message);
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
