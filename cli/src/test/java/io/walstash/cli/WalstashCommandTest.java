package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line a run builds: the verb it names alone, the same as in the whole tree. */
class WalstashCommandTest {

    @Test
    void aRunThatNamesAVerbGetsThatVerbAloneWithTheSameOptionsHelpAndExitCodes() {
        Map<String, CommandLine> whole = WalstashCommand.commandLine().getSubcommands();
        int verbs = 0;
        for (Map.Entry<String, CommandLine> verb : whole.entrySet()) {
            if (verb.getKey().equals("help")) {
                continue;
            }
            CommandLine alone = WalstashCommand.commandLine(new String[] {verb.getKey(), "--help"});
            assertThat(alone.getSubcommands()).as(verb.getKey()).containsOnlyKeys(verb.getKey());
            CommandLine built = alone.getSubcommands().get(verb.getKey());
            assertThat(built.getUsageMessage()).as("help of " + verb.getKey()).isEqualTo(verb.getValue().getUsageMessage());
            assertThat(built.getSubcommands().keySet()).as("its own subcommands").isEqualTo(verb.getValue().getSubcommands().keySet());
            verbs++;
        }
        assertThat(verbs).as("verbs checked").isGreaterThan(15);
    }

    @Test
    void noVerbAnUnknownOneOrHelpGetsTheWholeCommandLine() {
        int all = WalstashCommand.commandLine().getSubcommands().size();
        assertThat(WalstashCommand.commandLine(new String[0]).getSubcommands()).hasSize(all);
        assertThat(WalstashCommand.commandLine(new String[] {"--help"}).getSubcommands()).hasSize(all);
        assertThat(WalstashCommand.commandLine(new String[] {"wal-pusj"}).getSubcommands()).hasSize(all);
        assertThat(WalstashCommand.commandLine(new String[] {"help", "daemon"}).getSubcommands()).hasSize(all);
    }

    @Test
    void aVerbRunAloneAnswersAsInTheWholeCommandLine() {
        CliRun wrong = CliRun.of("backup-list", "--no-such-option");
        assertThat(wrong.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(wrong.err()).contains("Unknown option: '--no-such-option'")
                .contains("Try 'walstash backup-list --help' for more information.");
        assertThat(CliRun.of("daemon", "--help").out()).startsWith("Usage: walstash daemon").contains("Exit codes:");
    }
}
