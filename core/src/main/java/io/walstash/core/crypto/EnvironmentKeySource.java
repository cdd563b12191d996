package io.walstash.core.crypto;

import io.walstash.core.config.Settings;
import java.util.Optional;

/** The master key given as {@code WALSTASH_ENCRYPTION_KEY} (environment, option or config file). */
public final class EnvironmentKeySource implements MasterKeySource {

    @Override
    public String name() {
        return EncryptionSettings.KEY.name();
    }

    @Override
    public Optional<MasterKey> find(Settings settings) {
        return settings.given(EncryptionSettings.KEY).map(given -> MasterKey.parse(given.value(), given.name()));
    }
}
