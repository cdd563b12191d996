package io.walstash.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever the key, it is refused naming itself or lands strictly below the root. */
class FileKeyPropertiesTest {
    private static final Path ROOT = Path.of("/srv/walstash/repo");

    @Property(tries = 2000)
    void anyKeyIsRefusedOrStaysBelowTheRoot(@ForAll("keys") String key) {
        Path path;
        try {
            path = FileStorage.resolve(ROOT, key);
        } catch (IllegalArgumentException e) {
            assertThat(e).hasMessageStartingWith("invalid storage key '" + key + "': ").hasMessageNotContaining("\n");
            return;
        }
        assertThat(path.normalize()).startsWithRaw(ROOT).isNotEqualTo(ROOT).isEqualTo(path);
        assertThat(ROOT.relativize(path).toString()).isEqualTo(key);
    }

    @Property(tries = 500)
    void wellFormedKeysAreAccepted(@ForAll("wellFormed") String key) {
        assertThat(FileStorage.resolve(ROOT, key)).isEqualTo(ROOT.resolve(key));
    }

    @Provide
    Arbitrary<String> keys() {
        return Arbitraries.strings().withChars("ab./\\-_~ ").ofMinLength(0).ofMaxLength(12);
    }

    @Provide
    Arbitrary<String> wellFormed() {
        Arbitrary<String> segment = Arbitraries.strings().withChars("abcXYZ019.-_").ofMinLength(1).ofMaxLength(8)
                .filter(s -> !s.equals(".") && !s.equals(".."));
        return segment.list().ofMinSize(1).ofMaxSize(6).map(segments -> String.join("/", segments));
    }
}
