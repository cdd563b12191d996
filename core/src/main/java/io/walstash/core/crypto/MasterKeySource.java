package io.walstash.core.crypto;

import io.walstash.core.config.Settings;
import java.io.IOException;
import java.util.Optional;

/**
 * Where the master key comes from: found with {@link java.util.ServiceLoader} through
 * {@code META-INF/services/io.walstash.core.crypto.MasterKeySource}, so that a cloud KMS can plug in
 * beside the built-in environment and file sources. The public no-argument constructor does nothing
 * expensive; {@link #find} is asked only when a repository is opened.
 */
public interface MasterKeySource {

    /** A short name for messages, such as {@code environment}. */
    String name();

    /** The key this source is configured to give, or empty when it is not configured at all. */
    Optional<MasterKey> find(Settings settings) throws IOException;
}
