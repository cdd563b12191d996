package io.walstash.cli;

import java.util.List;

/**
 * How a command ended, as notifications receive it: its verb, exit code, and the problems it met,
 * each one line (already free of secrets) without the "walstash: error: " prefix the terminal shows.
 */
public record CommandOutcome(String command, int exitCode, List<Problem> problems) {
    public CommandOutcome {
        problems = List.copyOf(problems);
    }

    /** One problem: a failure, or a health threshold that status found crossed. */
    public record Problem(Kind kind, String message) {
    }

    /** SUMMARY: a line of a run that reports on success too (maintain). */
    public enum Kind { ERROR, UNHEALTHY, SUMMARY }

    /** Implemented by a command that meets problems without throwing (a failed push, a crossed threshold). */
    interface Reporting {
        /** The problems the last call met, in order. */
        List<Problem> problems();
    }
}
