package io.walstash.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a configuration file in the {@code .env} form that WAL-G setups already have:
 * {@code NAME=value} lines, optional {@code export } prefix, optional single or double quotes,
 * {@code #} comments and blank lines. Variable references are not expanded.
 */
public final class ConfigFile {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private ConfigFile() {
    }

    public static Map<String, String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist or is not a file");
        }
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    }

    static Map<String, String> parse(List<String> lines, String source) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            String name = eq < 0 ? line : line.substring(0, eq).strip();
            if (eq < 0 || !NAME.matcher(name).matches()) {
                // The value may be a secret: name the line, never echo it.
                throw new IllegalArgumentException("config file " + source + " line " + (i + 1)
                        + ": expected NAME=value");
            }
            values.put(name, unquote(line.substring(eq + 1).strip(), source, i + 1));
        }
        return values;
    }

    private static String unquote(String value, String source, int lineNumber) {
        if (value.startsWith("\"") || value.startsWith("'")) {
            char quote = value.charAt(0);
            int close = value.indexOf(quote, 1);
            if (close < 0) {
                throw new IllegalArgumentException("config file " + source + " line " + lineNumber
                        + ": unterminated quote");
            }
            return value.substring(1, close);
        }
        int comment = value.indexOf(" #");
        return comment < 0 ? value : value.substring(0, comment).strip();
    }
}
