package io.walstash.cli;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.config.Configuration;
import io.walstash.core.storage.Storage;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "backup-mark", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Mark backup NAME permanent (retention never deletes it), or impermanent again.",
                "Marking a delta permanent also marks every backup it depends on."})
final class BackupMarkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config;

    @Parameters(index = "0", paramLabel = "NAME", description = "Backup name")
    String name;

    @Option(names = "--impermanent", description = "Remove the permanent mark")
    boolean impermanent;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Configuration configuration = config.load();
        try (Storage storage = config.open(configuration)) {
            List<String> changed = new BackupCatalog(storage).mark(name, !impermanent);
            err.printf("walstash: %s%n", changed.isEmpty() ? "nothing to change"
                    : (impermanent ? "unmarked " : "marked permanent: ") + String.join(", ", changed));
            return ExitCode.OK.code();
        }
    }
}
