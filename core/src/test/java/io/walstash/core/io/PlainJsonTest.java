package io.walstash.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlainJsonTest {
    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsEveryKindOfValueIntoPlainJavaValuesInDocumentOrder() throws IOException {
        Map<String, Object> read = PlainJson.readObject(utf8(
                "{\"z\": 1, \"a\": [\"x\", 2.5, true, false, null, {}], \"n\": -9007199254740993, \"s\": \"\\u00e9\\n\"}"));
        assertThat(read.keySet()).containsExactly("z", "a", "n", "s");
        assertThat(read.get("z")).isEqualTo(1L);
        assertThat(read.get("a")).isEqualTo(Arrays.asList("x", 2.5, true, false, null, Map.of()));
        assertThat(read.get("n")).isEqualTo(-9007199254740993L);
        assertThat(read.get("s")).isEqualTo("é\n");
    }

    @Test
    void whatItWritesReadsBackAndIsWhatDatabindWrites() throws IOException {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("format", 1);
        value.put("generation", 42L);
        value.put("list", List.of("a", 2L, Map.of("k", "v")));
        value.put("none", null);
        value.put("yes", true);
        Map<String, Object> readBack = new LinkedHashMap<>(value);
        readBack.put("format", 1L); // integers come back as Long
        for (boolean pretty : new boolean[] {false, true}) {
            byte[] written = PlainJson.write(value, pretty);
            assertThat(PlainJson.read(written)).isEqualTo(readBack);
            // keyrings already stored were written by databind: same bytes, so nothing changes for them
            ObjectMapper databind = new ObjectMapper();
            byte[] expected = pretty ? databind.writerWithDefaultPrettyPrinter().writeValueAsBytes(value)
                    : databind.writeValueAsBytes(value);
            assertThat(new String(written, StandardCharsets.UTF_8)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
        }
    }

    @Test
    void refusesWhatIsNotExactlyOneWellFormedValue() {
        for (String bad : List.of("", "   ", "{\"a\": 1} {}", "{\"a\": 1, \"a\": 2}", "{\"a\": }", "[1, 2",
                "{'a': 1}", "{\"a\": 1}x", "99999999999999999999")) {
            assertThatThrownBy(() -> PlainJson.read(utf8(bad))).as(bad).isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> PlainJson.readObject(utf8("[1]"))).hasMessage("not a JSON object");
    }

    @Test
    void deepNestingIsRefusedRatherThanOverflowingTheStack() {
        char[] open = new char[10_000];
        Arrays.fill(open, '[');
        assertThatThrownBy(() -> PlainJson.read(utf8(new String(open)))).isInstanceOf(IOException.class);
    }

    @Test
    void writesOnlyPlainValues() {
        assertThatThrownBy(() -> PlainJson.write(Map.of("when", java.time.Instant.EPOCH), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.time.Instant");
    }
}
