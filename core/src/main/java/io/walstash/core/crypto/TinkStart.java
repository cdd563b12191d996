package io.walstash.core.crypto;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.LogManager;

/**
 * Starts what Tink's first use needs, {@code java.util.logging}, on a background thread as soon as
 * a command is known to need Tink, while the command goes on binding its options and reading its
 * configuration and the catalog.
 *
 * <p>Why: every Tink primitive first asks Tink's {@code TinkFipsUtil} whether only FIPS algorithms
 * may be used, and that class's logger starts {@code java.util.logging}, whose search for a
 * {@code System.LoggerFinder} service opens every jar of the class path: 60–90 ms with lib/'s 150
 * jars, where a clear command opens none (its classes come from the class-data archive, and
 * walstash's own services from the provider index, {@link io.walstash.core.config.ServiceProviders}).
 * Paid on the command's thread it came in series, right before the keyring is unsealed; begun at the
 * command's first step it overlaps picocli and the configuration (an encrypted scale-20
 * backup-fetch about 40 ms sooner, interleaved runs on 2 cores). Starting more here (the JCA's
 * providers, compiling the cipher with a few throwaway round trips) was measured too and gained
 * nothing: on 2 cores it took CPU from the command's own start.
 *
 * <p>Nothing waits for it: it runs once per JVM, on a daemon thread; the command's own first use
 * of Tink waits on the class's initialisation if it is still under way, and a failure here means
 * only that that first use meets it itself.
 */
public final class TinkStart {
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private TinkStart() {
    }

    /**
     * Begins if {@code environment} names a master key: a command's first step, before its options
     * and configuration are read (a key given only in a config file or an option is found later, by
     * {@link MasterKeys#find}, which begins then).
     */
    public static void beginIfKeyIn(Map<String, String> environment) {
        if (namesAKey(environment)) {
            begin();
        }
    }

    /** Whether {@code environment} sets a master key setting, under its name or an alias. */
    static boolean namesAKey(Map<String, String> environment) {
        return List.of(EncryptionSettings.KEY, EncryptionSettings.KEY_FILE).stream()
                .flatMap(setting -> setting.names().stream()).anyMatch(environment::containsKey);
    }

    /** Begins once per JVM; later calls return at once. Whether it began: {@link #begun}. */
    public static void begin() {
        if (STARTED.compareAndSet(false, true)) {
            Thread thread = new Thread(TinkStart::run, "walstash-tink-start");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Whether {@link #begin} has started the thread in this JVM. */
    static boolean begun() {
        return STARTED.get();
    }

    private static void run() {
        try {
            LogManager.getLogManager(); // what TinkFipsUtil's logger would start, through the JDK's public API
        } catch (RuntimeException | LinkageError e) {
            // the command's own first use of Tink meets it and reports it
        }
    }
}
