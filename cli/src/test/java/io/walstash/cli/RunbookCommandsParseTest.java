package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every walstash command line in docs/runbooks (runnable and illustrative shell blocks, cron lines)
 * parses against the real command line, so a renamed verb or option breaks the build, not an
 * operator in an incident. It parses only; it does not run them.
 */
class RunbookCommandsParseTest {
    private static final Path RUNBOOKS = Path.of("..", "docs", "runbooks");
    private static final Pattern BLOCK = Pattern.compile("(?ms)^```(bash|sh|cron)[^\\n]*\\n(.*?)^```");
    /** A walstash call: after the start of a line, a `&&`, `;` or an env assignment, up to a redirection, pipe or `&&`. */
    private static final Pattern CALL = Pattern.compile("(?:^|&&|;|\\s)walstash\\s+([^|>&;\\n]*)");

    @Test
    void everyWalstashCommandInTheRunbooksParses() throws Exception {
        List<String> calls = new ArrayList<>();
        try (Stream<Path> files = Files.list(RUNBOOKS)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".md")).sorted().toList()) {
                Matcher block = BLOCK.matcher(Files.readString(file));
                while (block.find()) {
                    Matcher call = CALL.matcher(block.group(2));
                    while (call.find()) {
                        calls.add(call.group(1).strip());
                    }
                }
            }
        }
        assertThat(calls).as("walstash calls found in the runbooks").hasSizeGreaterThanOrEqualTo(15);
        for (String call : calls) {
            List<String> words = words(call);
            assertThatCode(() -> WalstashCommand.commandLine().parseArgs(words.toArray(String[]::new)))
                    .as("walstash %s", call).doesNotThrowAnyException();
        }
    }

    @Test
    void aMisspelledOptionInARunbookWouldFail() {
        assertThatCode(() -> WalstashCommand.commandLine().parseArgs(words("restore /tmp/x --target-tme '2026-01-01'")
                .toArray(String[]::new))).isInstanceOf(picocli.CommandLine.ParameterException.class);
    }

    /** Splits like the shell does for what the runbooks use: blanks, single and double quotes. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char c : line.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
