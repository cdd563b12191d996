package io.walstash.core.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Locale;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** Keyring generations' keys: ten ASCII digits whatever the JVM's locale, and read back as written. */
class KeyringKeyPropertiesTest {

    @Property
    void everyGenerationReadsBackFromItsKey(@ForAll @LongRange(min = 0, max = 9_999_999_999L) long generation) {
        String key = RepositoryLayout.keyringKey(generation);
        assertThat(key).matches("keyring/[0-9]{10}");
        assertThat(RepositoryLayout.keyringGeneration(key)).hasValue(generation);
    }

    @Property
    void keysSortAsTheirGenerations(@ForAll @LongRange(min = 0, max = 9_999_999_999L) long a,
                                    @ForAll @LongRange(min = 0, max = 9_999_999_999L) long b) {
        assertThat(Integer.signum(RepositoryLayout.keyringKey(a).compareTo(RepositoryLayout.keyringKey(b))))
                .isEqualTo(Long.signum(a - b));
    }

    @Example
    void theKeyIsTheSameUnderALocaleWithOtherDigits() {
        Locale before = Locale.getDefault();
        try {
            // Arabic (Egypt) formats numbers with Arabic-Indic digits: String.format("%010d", 7) gives ٠٠٠٠٠٠٠٠٠٧
            Locale.setDefault(Locale.forLanguageTag("ar-EG"));
            assertThat(String.format("%d", 7)).isNotEqualTo("7"); // the locale does change digits here
            assertThat(RepositoryLayout.keyringKey(7)).isEqualTo("keyring/0000000007");
            assertThat(RepositoryLayout.keyringGeneration("keyring/0000000007")).hasValue(7);
        } finally {
            Locale.setDefault(before);
        }
    }

    @Example
    void aNegativeGenerationHasNoKey() {
        assertThatThrownBy(() -> RepositoryLayout.keyringKey(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative");
    }
}
