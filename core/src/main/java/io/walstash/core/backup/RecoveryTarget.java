package io.walstash.core.backup;

import io.walstash.core.wal.Lsn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where recovery should stop and what the server does there, as PostgreSQL 12+ settings
 * (recovery.signal plus postgresql.auto.conf; recovery.conf no longer exists).
 *
 * @param kind     none (the end of the archive), time, xid, name, lsn or immediate
 * @param value    the target's value (null for none and immediate)
 * @param action   promote, pause or shutdown (null: PostgreSQL's default, pause, when a target is set)
 * @param timeline latest, current or a timeline number (null: PostgreSQL's default, latest)
 */
public record RecoveryTarget(Kind kind, String value, String action, String timeline) {
    public enum Kind { NONE, TIME, XID, NAME, LSN, IMMEDIATE }

    public RecoveryTarget {
        if ((kind == Kind.NONE || kind == Kind.IMMEDIATE) != (value == null)) {
            throw new IllegalArgumentException("recovery target " + kind + " " + (value == null ? "needs a value" : "takes no value"));
        }
        if (action != null && !List.of("promote", "pause", "shutdown").contains(action)) {
            throw new RestoreInputException(RestoreInputException.Input.TARGET_ACTION,
                    "must be promote, pause or shutdown, not " + action);
        }
        if (timeline != null && !timeline.equals("latest") && !timeline.equals("current") && !timeline.matches("\\d+")) {
            throw new RestoreInputException(RestoreInputException.Input.TARGET_TIMELINE,
                    "must be latest, current or a number, not " + timeline);
        }
        if (kind == Kind.LSN) {
            Lsn.parse(value);
        }
        if (kind == Kind.XID && !value.matches("\\d+")) {
            throw new RestoreInputException(RestoreInputException.Input.TARGET_XID, "must be a transaction id (a number), not " + value);
        }
        if (kind == Kind.TIME) {
            parseTime(value);
        }
    }

    public static RecoveryTarget latest() {
        return new RecoveryTarget(Kind.NONE, null, null, null);
    }

    /** Parses a timestamp as PostgreSQL's recovery_target_time takes it, with an explicit offset (ISO-8601 or "2026-01-02 03:04:05.123+00"). */
    public static Instant parseTime(String text) {
        String normalized = text.strip().replace(' ', 'T');
        if (normalized.matches(".*[+-]\\d\\d$")) {
            normalized = normalized + ":00";
        }
        try {
            return OffsetDateTime.parse(normalized, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new RestoreInputException(RestoreInputException.Input.TARGET_TIME, text + " is not a timestamp with a time zone offset,"
                    + " such as 2026-01-02T03:04:05Z or '2026-01-02 03:04:05+00'");
        }
    }

    /** The settings to append to postgresql.auto.conf. */
    public Map<String, String> settings(String restoreCommand) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("restore_command", restoreCommand);
        switch (kind) {
            case TIME -> settings.put("recovery_target_time", value);
            case XID -> settings.put("recovery_target_xid", value);
            case NAME -> settings.put("recovery_target_name", value);
            case LSN -> settings.put("recovery_target_lsn", value);
            case IMMEDIATE -> settings.put("recovery_target", "immediate");
            case NONE -> { }
        }
        if (action != null) {
            settings.put("recovery_target_action", action);
        }
        if (timeline != null) {
            settings.put("recovery_target_timeline", timeline);
        }
        return settings;
    }

    /** Writes recovery.signal and appends the settings to postgresql.auto.conf in {@code dataDirectory}. */
    public void writeTo(Path dataDirectory, String restoreCommand) throws IOException {
        StringBuilder text = new StringBuilder("\n# recovery settings written by walstash restore\n");
        settings(restoreCommand).forEach((name, v) ->
                text.append(name).append(" = '").append(v.replace("\\", "\\\\").replace("'", "''")).append("'\n"));
        Path auto = dataDirectory.resolve("postgresql.auto.conf");
        Files.writeString(auto, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Path signal = dataDirectory.resolve("recovery.signal");
        if (!Files.exists(signal)) {
            Files.createFile(signal);
        }
        Files.setPosixFilePermissions(signal, DataDirectoryFiles.permissions(0600));
    }

    /**
     * The backup to restore when none is named: for a time or LSN target the newest backup that
     * ended before it (recovery can't stop before its backup's end), otherwise the newest.
     */
    public Optional<BackupManifest> chooseBackup(List<BackupCatalog.Backup> backups) {
        BackupManifest chosen = null;
        for (BackupCatalog.Backup b : backups) {
            BackupManifest m = b.manifest();
            boolean fits = switch (kind) {
                case TIME -> Instant.parse(m.stopTime()).isBefore(parseTime(value));
                case LSN -> Lsn.parse(m.stopLsn()).compareTo(Lsn.parse(value)) <= 0;
                default -> true;
            };
            if (fits && (chosen == null || Lsn.parse(m.startLsn()).compareTo(Lsn.parse(chosen.startLsn())) > 0)) {
                chosen = m;
            }
        }
        return Optional.ofNullable(chosen);
    }
}
