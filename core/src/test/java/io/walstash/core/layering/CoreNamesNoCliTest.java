package io.walstash.core.layering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Core knows no CLI: no string constant in its main sources is a walstash command-line flag
 * ({@code --target-action}) or a verb in command position ({@code "wal-prefetch"}, {@code walstash
 * wal-push}). Messages that suggest a flag are worded by the CLI from the typed failures core throws;
 * the launcher command of the prefetch worker is handed in. Comments are not scanned.
 */
class CoreNamesNoCliTest {
    private static final Path MAIN = Path.of("src/main/java");
    /** The verbs no English word shares (restore, delete, check, status are also plain words in messages). */
    private static final List<String> VERBS = List.of("wal-push", "wal-fetch", "wal-prefetch", "backup-push",
            "backup-fetch", "backup-list", "backup-mark", "wal-verify", "backup-verify");
    /** Options of the tools core runs itself (initdb, postgres, runuser), not of walstash. */
    private static final Set<String> FOREIGN_OPTIONS = Set.of("--locale=C", "--data-checksums", "--no-sync", "--version", "--");
    private static final Pattern FLAG = Pattern.compile("(^|[\\s'(])--[a-z][a-z-]*");

    @Test
    void coreStringConstantsNameNoCliFlagOrVerb() throws IOException {
        List<String> offending = new ArrayList<>();
        for (Path file : sources()) {
            for (String literal : literals(Files.readString(file))) {
                if (FOREIGN_OPTIONS.contains(literal)) {
                    continue;
                }
                boolean flag = FLAG.matcher(literal).find();
                boolean verb = VERBS.stream().anyMatch(v -> literal.strip().equals(v) || literal.contains("walstash " + v));
                if (flag || verb) {
                    offending.add(MAIN.relativize(file) + ": \"" + literal + "\"");
                }
            }
        }
        assertThat(offending).isEmpty();
    }

    @Test
    void theScanFindsWhatItLooksFor() {
        assertThat(literals("class A { String a = \"--target-action must be\"; // \"--ignored\"\n"
                + " /* \"--also ignored\" */ char c = '\"'; String b = \"x \\\"q\\\" walstash wal-push %p\"; }"))
                .containsExactly("--target-action must be", "x \\\"q\\\" walstash wal-push %p");
        assertThat(FLAG.matcher("--target-action must be").find()).isTrue();
        assertThat(FLAG.matcher("a-b--c").find()).isFalse();
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> all = Files.walk(MAIN)) {
            List<Path> files = all.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            assertThat(files).as("core's main sources, from the module directory").isNotEmpty();
            return files;
        }
    }

    /** The string literals of Java source {@code text} (text blocks included), outside comments. */
    static List<String> literals(String text) {
        List<String> found = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (text.startsWith("//", i)) {
                int end = text.indexOf('\n', i);
                i = end < 0 ? text.length() : end;
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                i = end < 0 ? text.length() : end + 2;
            } else if (text.startsWith("\"\"\"", i)) {
                int end = text.indexOf("\"\"\"", i + 3);
                found.add(text.substring(i + 3, end));
                i = end + 3;
            } else if (c == '\'') {
                int j = i + 1;
                while (text.charAt(j) != '\'') {
                    j += text.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
            } else if (c == '"') {
                int j = i + 1;
                while (text.charAt(j) != '"') {
                    j += text.charAt(j) == '\\' ? 2 : 1;
                }
                found.add(text.substring(i + 1, j));
                i = j + 1;
            } else {
                i++;
            }
        }
        return found;
    }
}
