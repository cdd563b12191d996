package io.walstash.core.backup;

/**
 * The server does not archive WAL (archive_mode off), so a base backup of it could never be
 * recovered. The front end words which archive_command to set.
 */
public final class ArchivingOffException extends IllegalArgumentException {
    private final String archiveMode;

    public ArchivingOffException(String archiveMode) {
        super(problem(archiveMode) + "; set archive_mode = on and an archive_command that archives WAL");
        this.archiveMode = archiveMode;
    }

    /** What is wrong, without a remedy. */
    public static String problem(String archiveMode) {
        return "archive_mode is " + archiveMode + ": a backup is useless without its WAL";
    }

    public String archiveMode() {
        return archiveMode;
    }
}
