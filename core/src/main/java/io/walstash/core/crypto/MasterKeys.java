package io.walstash.core.crypto;

import io.walstash.core.config.ServiceProviders;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The master key the configuration gives, from whichever {@link MasterKeySource} is configured. */
public final class MasterKeys {
    private MasterKeys() {
    }

    /** Every source on the class path. */
    public static List<MasterKeySource> sources() {
        return ServiceProviders.load(MasterKeySource.class, Thread.currentThread().getContextClassLoader());
    }

    /** The configured master key; empty when no source is configured; fails when several are (which to trust?). */
    public static Optional<MasterKey> find(Settings settings) throws IOException {
        List<MasterKeySource> configured = new ArrayList<>();
        List<MasterKey> keys = new ArrayList<>();
        for (MasterKeySource source : sources()) {
            Optional<MasterKey> key = source.find(settings);
            if (key.isPresent()) {
                configured.add(source);
                keys.add(key.get());
            }
        }
        if (keys.size() > 1) {
            throw new IllegalArgumentException("several master keys are configured ("
                    + configured.stream().map(MasterKeySource::name).collect(Collectors.joining(", ")) + "); set only one");
        }
        return keys.stream().findFirst();
    }
}
