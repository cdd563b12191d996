package io.walstash.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A small, strict reader of Prometheus text exposition format 0.0.4, for tests of what walstash exports. */
public final class PrometheusText {
    private PrometheusText() {
    }

    /** One sample: its labels (unescaped) and value. */
    public record Sample(Map<String, String> labels, double value) {
    }

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\",?)*)} (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");

    /**
     * Parses exposition text into samples by metric name, in order; asserts that every sample line
     * is well formed and that its metric has HELP and TYPE lines before it.
     */
    public static Map<String, List<Sample>> parse(String text) {
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        Set<String> help = new HashSet<>();
        Set<String> type = new HashSet<>();
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# HELP ")) {
                help.add(line.split(" ")[2]);
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                assertThat(parts).hasSize(4);
                assertThat(parts[3]).isIn("gauge", "counter");
                type.add(parts[2]);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("sample line: " + line).isTrue();
            assertThat(help).as("HELP before " + line).contains(m.group(1));
            assertThat(type).as("TYPE before " + line).contains(m.group(1));
            Map<String, String> labels = new LinkedHashMap<>();
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) {
                labels.put(l.group(1), unescape(l.group(2)));
            }
            samples.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(new Sample(labels, Double.parseDouble(m.group(3))));
        }
        return samples;
    }

    private static String unescape(String escaped) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == '\\') {
                char next = escaped.charAt(++i);
                out.append(next == 'n' ? '\n' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

}
