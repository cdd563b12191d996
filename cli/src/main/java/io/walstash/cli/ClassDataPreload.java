package io.walstash.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Classes another command needs, loaded (not initialised) by a run whose JVM is about to dump its
 * class-data archive, so that the archive holds them too. The launcher asks for it when
 * {@code backup-push} dumps: {@code backup-fetch} and {@code restore} map that archive when they
 * have none of their own (and then never dump one), and without this they loaded the restore
 * path's classes (about a hundred, lambdas aside) from the jars at every run. The lists are resources beside this class,
 * {@code cds-<name>.classes}, one binary class name a line ({@code dev/cds-classes.sh} writes
 * them); a name this build lacks is passed over, so a stale line costs nothing but its lookup.
 */
final class ClassDataPreload {
    /** The system property naming the list, set by the launcher only for a dumping run. */
    static final String PROPERTY = "walstash.cds.preload";

    private ClassDataPreload() {
    }

    /** Loads the classes of list {@code name}; returns how many loaded. Never fails: this is an optimisation. */
    static int load(String name) {
        if (name == null || !name.matches("[a-z-]+")) {
            return 0;
        }
        ClassLoader loader = ClassDataPreload.class.getClassLoader();
        int loaded = 0;
        try (InputStream in = ClassDataPreload.class.getResourceAsStream("cds-" + name + ".classes")) {
            if (in == null) {
                return 0;
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String className = line.strip();
                if (className.isEmpty() || className.startsWith("#")) {
                    continue;
                }
                try {
                    Class.forName(className, false, loader);
                    loaded++;
                } catch (ClassNotFoundException | LinkageError e) {
                    // not in this build or this JDK: nothing to archive
                }
            }
        } catch (IOException e) {
            // the archive simply holds less
        }
        return loaded;
    }
}
