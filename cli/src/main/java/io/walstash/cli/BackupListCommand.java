package io.walstash.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "backup-list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "List the finished base backups, oldest first.")
final class BackupListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Option(names = "--json", description = "Print a JSON array")
    boolean json;

    @Option(names = "--detail", description = "Add LSNs, WAL files, timeline, sizes, base and system identifier")
    boolean detail;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Configuration configuration = config.load();
        try (Storage storage = config.open(configuration)) {
            List<BackupCatalog.Backup> backups = new BackupCatalog(storage).list();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (BackupCatalog.Backup b : backups) {
                rows.add(row(b));
            }
            if (json) {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
            } else if (detail) {
                out.printf("%-60s %-24s %-24s %-12s %-12s %-24s %-24s %3s %10s %10s %-5s %-7s %s%n", "name", "start_time",
                        "finish_time", "start_lsn", "stop_lsn", "start_wal_file", "stop_wal_file", "tli", "orig_MiB",
                        "stored_MiB", "perm", "from", "base");
                for (BackupCatalog.Backup b : backups) {
                    BackupManifest m = b.manifest();
                    out.printf("%-60s %-24s %-24s %-12s %-12s %-24s %-24s %3d %10.1f %10.1f %-5s %-7s %s%n", m.name(),
                            m.startTime(), m.stopTime(), m.startLsn(), m.stopLsn(), m.startWalFile(), m.stopWalFile(),
                            m.timeline(), m.originalSize() / 1048576.0, m.storedSize() / 1048576.0, b.permanent(),
                            m.takenFromStandby() ? "standby" : "primary", m.isDelta() ? m.deltaBase() : "full");
                }
            } else {
                out.printf("%-60s %-24s %-24s %s%n", "name", "finish_time", "wal_file", "kind");
                for (BackupCatalog.Backup b : backups) {
                    BackupManifest m = b.manifest();
                    out.printf("%-60s %-24s %-24s %s%s%n", m.name(), m.stopTime(), m.startWalFile(),
                            m.isDelta() ? "delta" : "full", b.permanent() ? " permanent" : "");
                }
            }
            out.flush();
            return ExitCode.OK.code();
        }
    }

    private Map<String, Object> row(BackupCatalog.Backup b) {
        BackupManifest m = b.manifest();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", m.name());
        row.put("start_time", m.startTime());
        row.put("finish_time", m.stopTime());
        row.put("start_lsn", m.startLsn());
        row.put("stop_lsn", m.stopLsn());
        row.put("wal_file_name", m.startWalFile());
        row.put("stop_wal_file_name", m.stopWalFile());
        row.put("timeline", m.timeline());
        row.put("original_size", m.originalSize());
        row.put("stored_size", m.storedSize());
        row.put("is_delta", m.isDelta());
        row.put("delta_base", m.deltaBase());
        row.put("permanent", b.permanent());
        row.put("from_standby", m.takenFromStandby());
        if (detail) {
            row.put("system_identifier", m.systemIdentifier());
            row.put("pg_version", m.postgresVersion());
            row.put("codec", m.codec());
            row.put("files", m.files().size());
            row.put("corrupt_pages", m.corruptPages());
            row.put("tablespaces", m.tablespaces());
        }
        return row;
    }
}
