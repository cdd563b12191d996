package io.walstash.cli;

import io.walstash.core.config.Configuration;
import io.walstash.core.notify.Notification;
import io.walstash.core.notify.WebhookNotifier;
import io.walstash.core.status.RepositoryStatus;
import io.walstash.core.storage.StorageLocation;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * The one place a finished command turns into a webhook notification: a non-zero exit of a command
 * whose failure an operator must hear about. The detail is the error lines the command printed
 * (already free of secrets); nothing of the configuration but the credential-free storage URI.
 */
final class Notifications {
    /** Commands whose failure means archiving, backups or the repository need attention. */
    static final Set<String> NOTIFYING = Set.of("wal-push", "backup-push", "wal-verify", "backup-verify", "status");

    private static final List<String> PROBLEM_PREFIXES = List.of("walstash: error: ", "walstash: unhealthy: ");
    private static final int MAX_DETAIL_LINES = 10;

    private Notifications() {
    }

    /** Wraps stderr and keeps the error and unhealthy lines written through it. */
    static final class ProblemLines extends Writer {
        private final Writer target;
        private final StringBuilder line = new StringBuilder();
        private final List<String> problems = new ArrayList<>();

        ProblemLines(Writer target) {
            this.target = target;
        }

        @Override
        public void write(char[] buffer, int offset, int length) throws java.io.IOException {
            target.write(buffer, offset, length);
            synchronized (line) {
                for (int i = offset; i < offset + length; i++) {
                    char c = buffer[i];
                    if (c == '\n') {
                        keep(line.toString());
                        line.setLength(0);
                    } else if (c != '\r' && line.length() < 4096) {
                        line.append(c);
                    }
                }
            }
        }

        private void keep(String text) {
            if (problems.size() < MAX_DETAIL_LINES) {
                problemOf(text).ifPresent(problems::add);
            }
        }

        List<String> problems() {
            synchronized (line) {
                return List.copyOf(problems);
            }
        }

        @Override
        public void flush() throws java.io.IOException {
            target.flush();
        }

        @Override
        public void close() throws java.io.IOException {
            target.flush();
        }
    }

    /**
     * After {@code commandLine} ran and returned {@code exitCode}: notifies when the command is one
     * of {@link #NOTIFYING}, the code is not 0 and a webhook is configured. Never throws; takes at
     * most the notifier's timeout.
     */
    /**
     * Posts the failure of {@code command} (exit {@code exitCode}, its error lines {@code problems})
     * to the configured webhook, if any. Takes at most the notifier's timeout; never throws for a
     * webhook that fails (that is a warning through {@code warn}).
     */
    static void send(Configuration configuration, String command, int exitCode, List<String> problems,
                     java.util.function.Consumer<String> warn) {
        Optional<WebhookNotifier> notifier = WebhookNotifier.configured(configuration.settings(), warn);
        if (notifier.isEmpty()) {
            return;
        }
        Optional<String> storage;
        try {
            storage = Optional.of(RepositoryStatus.safeUri(StorageLocation.configured(configuration).uri()));
        } catch (IllegalArgumentException noOrBadStorage) {
            storage = Optional.empty();
        }
        String event = exitCode == ExitCode.UNHEALTHY.code() ? Notification.UNHEALTHY : Notification.COMMAND_FAILED;
        notifier.get().send(new Notification(event, Notification.localHost(), storage, command, exitCode,
                String.join("; ", problems)), warn);
    }

    /** The problem part of a line a command printed, if it is an error or unhealthy line. */
    static Optional<String> problemOf(String line) {
        for (String prefix : PROBLEM_PREFIXES) {
            if (line.startsWith(prefix)) {
                return Optional.of(line.substring(prefix.length()));
            }
        }
        return Optional.empty();
    }

    static void afterRun(CommandLine commandLine, int exitCode, List<String> problems, PrintWriter err) {
        if (exitCode == ExitCode.OK.code()) {
            return;
        }
        try {
            ParseResult parsed = commandLine.getParseResult();
            if (parsed == null || !parsed.hasSubcommand()) {
                return;
            }
            CommandSpec command = parsed.subcommand().commandSpec();
            if (!NOTIFYING.contains(command.name())) {
                return;
            }
            Optional<Configuration> configuration = configuration(command);
            if (configuration.isEmpty()) {
                return;
            }
            send(configuration.get(), command.name(), exitCode, problems, err::println);
        } catch (RuntimeException e) {
            // a notification never changes what the command reported
            err.println("walstash: warning: notification not sent: " + e.getClass().getSimpleName());
        } finally {
            err.flush();
        }
    }

    /** The command's own configuration (its --storage/--config), else the environment alone. */
    private static Optional<Configuration> configuration(CommandSpec command) {
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
