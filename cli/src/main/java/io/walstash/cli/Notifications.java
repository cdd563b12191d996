package io.walstash.cli;

import io.walstash.cli.notify.EmailNotifier;
import io.walstash.core.config.Configuration;
import io.walstash.core.notify.Notification;
import io.walstash.core.notify.WebhookNotifier;
import io.walstash.core.status.RepositoryStatus;
import io.walstash.core.storage.StorageLocation;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * The one place a finished command turns into a notification (webhook and/or email): a non-zero exit of a command
 * whose failure an operator must hear about. The detail is the problems the command handed over as
 * values ({@link CommandOutcome}, already free of secrets); nothing of the configuration but the
 * credential-free storage URI.
 */
public final class Notifications {
    /** Commands whose failure means archiving, backups or the repository need attention. */
    static final Set<String> NOTIFYING = Set.of("wal-push", "backup-push", "wal-verify", "backup-verify", "status", "maintain");

    /** Commands that report every run, success included: a scheduled run's summary is what the operator reads. */
    static final Set<String> SUMMARISING = Set.of("maintain");

    private static final int MAX_DETAIL_LINES = 10;

    private Notifications() {
    }

    /**
     * Posts {@code outcome} (a failure) to the configured webhook, if any. Takes at most the
     * notifier's timeout; never throws for a webhook that fails (that is a warning through {@code warn}).
     */
    public static void send(Configuration configuration, CommandOutcome outcome, Consumer<String> warn) {
        Optional<WebhookNotifier> notifier = WebhookNotifier.configured(configuration.settings(), warn);
        Optional<EmailNotifier> email = EmailNotifier.configured(configuration.settings(), warn);
        if (notifier.isEmpty() && email.isEmpty()) {
            return;
        }
        Optional<String> storage;
        try {
            storage = Optional.of(RepositoryStatus.safeUri(StorageLocation.configured(configuration).uri()));
        } catch (IllegalArgumentException noOrBadStorage) {
            storage = Optional.empty();
        }
        String event = SUMMARISING.contains(outcome.command()) ? Notification.SUMMARY
                : outcome.exitCode() == ExitCode.UNHEALTHY.code() ? Notification.UNHEALTHY : Notification.COMMAND_FAILED;
        String detail = outcome.problems().stream().limit(MAX_DETAIL_LINES).map(CommandOutcome.Problem::message)
                .collect(Collectors.joining("; "));
        Notification notification = new Notification(event, Notification.localHost(), storage, outcome.command(),
                outcome.exitCode(), detail);
        notifier.ifPresent(webhook -> webhook.send(notification, warn));
        email.ifPresent(mail -> mail.send(notification, warn));
    }

    /**
     * After {@code commandLine} ran and returned {@code exitCode} having met {@code raised} (the
     * failures its handlers reported): notifies when the command is one of {@link #NOTIFYING}, the
     * code is not 0 and a webhook is configured. Never throws; takes at most the notifier's timeout.
     */
    static void afterRun(CommandLine commandLine, int exitCode, List<CommandOutcome.Problem> raised, PrintWriter err) {
        try {
            ParseResult parsed = commandLine.getParseResult();
            if (parsed == null || !parsed.hasSubcommand()) {
                return;
            }
            CommandSpec command = parsed.subcommand().commandSpec();
            if (!NOTIFYING.contains(command.name()) || (exitCode == ExitCode.OK.code() && !SUMMARISING.contains(command.name()))) {
                return;
            }
            Optional<Configuration> configuration = configuration(command);
            if (configuration.isEmpty()) {
                return;
            }
            List<CommandOutcome.Problem> problems = new ArrayList<>();
            if (command.userObject() instanceof CommandOutcome.Reporting reporting) {
                problems.addAll(reporting.problems());
            }
            problems.addAll(raised);
            send(configuration.get(), new CommandOutcome(command.name(), exitCode, problems), err::println);
        } catch (RuntimeException e) {
            // a notification never changes what the command reported
            err.println("walstash: warning: notification not sent: " + e.getClass().getSimpleName());
        } finally {
            err.flush();
        }
    }
    /** The command's own configuration (its --storage/--config), else the environment alone. */
    static Optional<Configuration> configuration(CommandSpec command) {
        CommandSpec mixin = command.mixins().get("config");
        if (mixin != null && mixin.userObject() instanceof ConfigOptions options) {
            try {
                return Optional.of(options.load());
            } catch (Exception badConfigFile) {
                // the command failed because of it, perhaps; the environment may still name a webhook
            }
        }
        try {
            return Optional.of(Configuration.load(Map.of(), System.getenv()));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
