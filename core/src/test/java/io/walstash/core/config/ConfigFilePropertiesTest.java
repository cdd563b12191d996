package io.walstash.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class ConfigFilePropertiesTest {

    /** A value written in any of the forms a .env allows reads back as itself. */
    @Property
    void valuesSurviveEveryQuotingStyle(@ForAll("entries") Map<String, String> entries, @ForAll("styles") List<Integer> styles) {
        List<String> lines = new ArrayList<>();
        lines.add("# generated");
        int i = 0;
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            int style = styles.get(i++ % styles.size());
            String value = entry.getValue();
            lines.add(switch (style) {
                case 0 -> entry.getKey() + "=" + value;
                case 1 -> "export " + entry.getKey() + "=\"" + value + "\"";
                case 2 -> entry.getKey() + " = '" + value + "'";
                default -> "  " + entry.getKey() + "=" + value + "   # trailing comment";
            });
            lines.add("");
        }
        assertThat(ConfigFile.parse(lines, "generated")).containsExactlyEntriesOf(entries);
    }

    /** A line that is not NAME=value is reported by number and never echoes its text (it may hold a secret). */
    @Property
    void badLinesNameTheLineNotTheText(@ForAll("secrets") String secret) {
        assertThatThrownBy(() -> ConfigFile.parse(List.of("A=1", secret), "f"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2")
                .hasMessageNotContaining(secret);
    }

    @Provide
    Arbitrary<Map<String, String>> entries() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('A', 'Z').withChars('_').ofMinLength(1).ofMaxLength(12)
                .filter(n -> !n.equals("export"));
        // no quotes, no '#', no surrounding blanks: those are what quoting styles treat specially
        Arbitrary<String> values = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9')
                .withChars(':', '/', '.', '-', '_', '=').ofMinLength(1).ofMaxLength(30);
        return Combinators.combine(names.list().ofMaxSize(8).uniqueElements(), values.list().ofSize(8))
                .as((n, v) -> {
                    Map<String, String> map = new LinkedHashMap<>();
                    for (int i = 0; i < n.size(); i++) {
                        map.put(n.get(i), v.get(i));
                    }
                    return map;
                });
    }

    @Provide
    Arbitrary<List<Integer>> styles() {
        return Arbitraries.integers().between(0, 3).list().ofMinSize(1).ofMaxSize(8);
    }

    @Provide
    Arbitrary<String> secrets() {
        return Arbitraries.strings().withCharRange('a', 'z').withChars(' ').ofMinLength(6).ofMaxLength(20)
                .filter(s -> !s.contains("=") && !s.isBlank() && !s.strip().startsWith("#")
                        && !s.strip().startsWith("export") && s.strip().length() >= 6);
    }
}
