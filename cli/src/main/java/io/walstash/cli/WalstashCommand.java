package io.walstash.cli;

import io.walstash.cli.daemon.DaemonCommand;
import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.SettingCatalogue;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

@Command(name = "walstash", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "PostgreSQL continuous archiving and point-in-time recovery to object storage.",
        footerHeading = SettingsHelp.HEADING)
final class WalstashCommand implements Runnable {
    /** The verbs, in the order --help lists them. */
    static final List<Class<?>> VERBS = List.of(WalPushCommand.class, WalFetchCommand.class, WalPrefetchCommand.class,
            WalReceiveCommand.class, BackupPushCommand.class, BackupFetchCommand.class, RestoreCommand.class,
            BackupListCommand.class, BackupMarkCommand.class, DeleteCommand.class, WalVerifyCommand.class,
            BackupVerifyCommand.class, CheckCommand.class, StatusCommand.class, MaintainCommand.class, DaemonCommand.class,
            DemoCommand.class, KeyCommand.class, CommandLine.HelpCommand.class);

    @Spec
    CommandSpec spec;

    /** The failures the exception handlers reported during the last execution, for notifications. */
    private final List<CommandOutcome.Problem> raised = new ArrayList<>();

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a command is required; see walstash --help");
    }

    /** Runs the command line and returns the exit code; every failure becomes one line on stderr. */
    static int execute(String[] args) {
        return execute(commandLine(args), args);
    }

    /**
     * Runs {@code commandLine}; a failed wal-push, backup-push, wal-verify, backup-verify or an
     * unhealthy status is then sent to the configured webhook (bounded, never changing the code).
     */
    static int execute(CommandLine commandLine, String[] args) {
        WalstashCommand root = commandLine.getCommand();
        root.raised.clear();
        long started = System.nanoTime();
        int code = commandLine.execute(args);
        OperationLog.afterRun(commandLine, code, List.copyOf(root.raised), started, commandLine.getErr());
        Notifications.afterRun(commandLine, code, List.copyOf(root.raised), commandLine.getErr());
        return code;
    }

    /** The whole command line, every verb: for walstash's own --help, an unknown verb, and tests. */
    static CommandLine commandLine() {
        CommandLine commandLine = commandLine(VERBS);
        commandLine.getCommandSpec().usageMessage().footer(SettingsHelp.lines(SettingCatalogue.current()).toArray(String[]::new));
        return commandLine;
    }

    /**
     * The command line that runs {@code args}: when they start with a verb, the root with that verb
     * alone, since picocli builds a model of every command it is given (reflection over each class's
     * options, in picocli classes the class-data archives cannot hold) and building all of them took
     * a JVM started for one verb (the auto daemon, for one) most of its start-up; else the whole one.
     */
    static CommandLine commandLine(String[] args) {
        if (args.length > 0) {
            for (Class<?> verb : VERBS) {
                if (verb == CommandLine.HelpCommand.class) {
                    continue; // help names another verb: it needs them all
                }
                Command command = verb.getAnnotation(Command.class);
                if (command.name().equals(args[0]) || List.of(command.aliases()).contains(args[0])) {
                    return commandLine(List.of(verb));
                }
            }
        }
        return commandLine();
    }

    private static CommandLine commandLine(List<Class<?>> verbs) {
        WalstashCommand root = new WalstashCommand();
        CommandLine commandLine = new CommandLine(root);
        verbs.forEach(commandLine::addSubcommand);
        applyExitCodeHelp(commandLine);
        commandLine.setExecutionExceptionHandler((failure, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            WalOutcome outcome = WalOutcome.failure(failure);
            err.println(outcome.message());
            outcome.problem().ifPresent(p -> root.raised.add(new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, p)));
            if (isDebug(cmd)) {
                failure.printStackTrace(err);
            }
            err.flush();
            return outcome.exitCode();
        });
        commandLine.setParameterExceptionHandler((failure, args) -> {
            PrintWriter err = failure.getCommandLine().getErr();
            err.println("walstash: error: " + failure.getMessage());
            root.raised.add(new CommandOutcome.Problem(CommandOutcome.Kind.ERROR, failure.getMessage()));
            err.println("Try '" + failure.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            err.flush();
            return ExitCode.USAGE.code();
        });
        return commandLine;
    }

    private static void applyExitCodeHelp(CommandLine commandLine) {
        commandLine.getCommandSpec().usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCode.helpSection());
        commandLine.getSubcommands().values().forEach(WalstashCommand::applyExitCodeHelp);
    }

    /**
     * WALSTASH_LOG_LEVEL as the environment and the config file (--config, else WALSTASH_CONFIG) set
     * it; the environment alone when that file can't be read.
     */
    private static boolean isDebug(CommandLine cmd) {
        String configOption = cmd.getParseResult() == null ? null : cmd.getParseResult().matchedOptionValue("--config", null);
        Settings settings;
        try {
            settings = Configuration.load(configOption == null ? Map.of() : Map.of(CoreSettings.CONFIG_FILE.name(), configOption),
                    System.getenv()).settings();
        } catch (IOException | RuntimeException e) {
            settings = Settings.of(System.getenv());
        }
        return CoreSettings.LOG_LEVEL.find(settings).filter(level -> level.equalsIgnoreCase("debug")).isPresent();
    }
}
