package io.walstash.core.spool;

import io.walstash.core.config.ServiceProviders;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.io.InputStream;

/**
 * How walstash keeps WAL on local disk (spooled files, prefetched files): sealed under the master key
 * when encryption is configured, as they are otherwise. Core's encryption provides the sealing
 * through {@link java.util.ServiceLoader} ({@code META-INF/services/io.walstash.core.spool.LocalSealing$Provider}),
 * so that the spool and the archive, which encryption itself builds on, know no cipher.
 */
public interface LocalSealing {

    /** Makes the sealing a configuration asks for. */
    interface Provider {
        /** The sealing {@code settings} configure; the key is looked up on first use, not here. */
        LocalSealing configured(Settings settings);
    }

    /** Whether files are sealed: a master key is configured. */
    boolean active() throws IOException;

    /**
     * Reading it yields what to keep on disk for the bytes {@code plain}, bound to {@code name} (the
     * file's place: "spool/&lt;WAL file&gt;", "prefetch/&lt;repository&gt;/&lt;file&gt;"); {@code plain}
     * itself when files are not sealed.
     */
    InputStream sealing(InputStream plain, String name) throws IOException;

    /**
     * The bytes a file kept under {@code name} holds, reading {@code stored}; {@code description}
     * names the file in messages. A file that was damaged, truncated, swapped, or is not in the form
     * this sealing keeps fails (when opened or, at the latest, before the end of the reading) with an
     * {@link IOException} naming it.
     */
    InputStream unsealing(InputStream stored, String name, String description) throws IOException;

    /** Files kept as they are. */
    static LocalSealing none() {
        return None.NONE;
    }

    /** The sealing {@code settings} configure, from the provider on the class path; {@link #none()} without one. */
    static LocalSealing configured(Settings settings) {
        for (Provider provider : ServiceProviders.load(Provider.class, Thread.currentThread().getContextClassLoader())) {
            return provider.configured(settings);
        }
        return none();
    }

    /** See {@link #none()}. */
    enum None implements LocalSealing {
        NONE;

        @Override
        public boolean active() {
            return false;
        }

        @Override
        public InputStream sealing(InputStream plain, String name) {
            return plain;
        }

        @Override
        public InputStream unsealing(InputStream stored, String name, String description) {
            return stored;
        }
    }
}
