package io.walstash.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CipherWarmupTest {

    @Test
    void theWarmUpRoundTripsBothCiphersUnderItsThrowawayKey() {
        assertThat(CipherWarmup.run()).isTrue();
    }

    @Test
    void itStartsOnlyWhereTheEnvironmentNamesAMasterKey() {
        assertThat(CipherWarmup.keyNamedIn(Settings.of(Map.of("WALSTASH_ENCRYPTION_KEY_FILE", "/etc/walstash/master.key")))).isTrue();
        assertThat(CipherWarmup.keyNamedIn(Settings.of(Map.of("WALSTASH_ENCRYPTION_KEY", MasterKey.generate().toBase64())))).isTrue();
        assertThat(CipherWarmup.keyNamedIn(Settings.of(Map.of("WALSTASH_STORAGE", "file:///var/lib/walstash")))).isFalse();
    }

    @Test
    void startReturnsAtOnceAndItsThreadNeverHoldsTheExit() throws InterruptedException {
        Thread warmup = CipherWarmup.start();
        assertThat(warmup.isDaemon()).isTrue();
        assertThat(warmup.getName()).isEqualTo("walstash-cipher-warmup");
        warmup.join(60_000);
        assertThat(warmup.isAlive()).isFalse();
    }
}
