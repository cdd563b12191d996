package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ClassDataPreloadTest {
    private static long listed(String name) throws IOException {
        try (InputStream in = ClassDataPreload.class.getResourceAsStream("cds-" + name + ".classes")) {
            assertThat(in).as("the list " + name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).count();
        }
    }

    @Test
    void everyClassTheRestoreListNamesLoads() throws Exception {
        // a name that no longer loads (a class renamed or gone) means dev/cds-classes.sh should run again
        assertThat(listed("restore")).isGreaterThan(50);
        assertThat(ClassDataPreload.load("restore")).isEqualTo(listed("restore"));
        assertThat(Class.forName("io.walstash.core.backup.BackupFetch", false, getClass().getClassLoader())).isNotNull();
    }

    @Test
    void noListOrAnotherPathLoadsNothing() {
        assertThat(ClassDataPreload.load(null)).isZero();
        assertThat(ClassDataPreload.load("none-such")).isZero();
        assertThat(ClassDataPreload.load("../cds-restore")).isZero();
    }
}
