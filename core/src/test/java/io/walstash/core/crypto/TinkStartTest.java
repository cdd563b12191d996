package io.walstash.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tink's logging is started early only for a command given a master key. */
class TinkStartTest {

    @Test
    void anEnvironmentNamingAKeyOrAKeyFileBeginsItAnyOtherDoesNot() {
        assertThat(TinkStart.namesAKey(Map.of(EncryptionSettings.KEY.name(), "x"))).isTrue();
        assertThat(TinkStart.namesAKey(Map.of(EncryptionSettings.KEY_FILE.name(), "/k"))).isTrue();
        assertThat(TinkStart.namesAKey(Map.of("WALSTASH_STORAGE", "file:///r", "WALSTASH_ENCRYPTION", "on"))).isFalse();
        assertThat(TinkStart.namesAKey(Map.of())).isFalse();
    }

    @Test
    void beginningTwiceStartsOneThreadThatEnds() throws InterruptedException {
        TinkStart.begin();
        TinkStart.begin();
        assertThat(TinkStart.begun()).isTrue();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("walstash-tink-start")) {
                assertThat(thread.isDaemon()).isTrue();
                thread.join(60_000);
                assertThat(thread.isAlive()).isFalse();
            }
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("walstash-tink-start"));
    }
}
