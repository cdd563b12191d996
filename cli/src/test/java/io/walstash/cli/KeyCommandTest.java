package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.testing.WalSegmentFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keyring verbs through the in-process command line on a file:// repository (EncryptionIT runs them beside PostgreSQL). */
class KeyCommandTest {
    @TempDir
    Path dir;

    private Path key1;
    private Path key2;

    @BeforeEach
    void keys() {
        key1 = dir.resolve("one.key");
        key2 = dir.resolve("two.key");
        ok(CliRun.of("key", "generate", "--file", key1.toString()));
        ok(CliRun.of("key", "generate", "--file", key2.toString()));
    }

    /** A config file naming the repository and, unless null, the master key file. */
    private String config(String storage, Path keyFile) throws IOException {
        String key = keyFile == null ? "" : "WALSTASH_ENCRYPTION_KEY_FILE=" + keyFile + "\n";
        return "--config=" + Files.writeString(dir.resolve("walstash-" + System.nanoTime() + ".env"),
                "WALSTASH_STORAGE=" + storage + "\nWALSTASH_DAEMON=off\n" + key);
    }

    private String repository() {
        return dir.resolve("repo").toUri().toString();
    }

    private static CliRun ok(CliRun run) {
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    private static void fails(CliRun run, String expected) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCode.INVALID_INPUT.code());
        assertThat(run.errLines()).singleElement().asString().startsWith("walstash: error: ").contains(expected);
    }

    @Test
    void rotatesDataAndMasterKeysAndListsThem() throws IOException {
        Path segment = WalSegmentFiles.segment(Files.createDirectories(dir.resolve("pg_wal")), "000000010000000000000003", 77, 1);
        ok(CliRun.of("wal-push", config(repository(), key1), segment.toString())); // the first encrypted write makes the keyring
        assertThat(ok(CliRun.of("key", "list", config(repository(), key1))).out())
                .containsPattern("(?m)^1 +\\S+ +yes$").contains("keyring generation 1,");

        assertThat(ok(CliRun.of("key", "rotate-data", config(repository(), key1))).err())
                .contains("walstash: data key 2 encrypts new objects (keyring generation 2)");
        assertThat(ok(CliRun.of("key", "rotate-master", config(repository(), key1), "--new-key-file", key2.toString())).err())
                .contains("walstash: keyring generation 3 is sealed under the key in " + key2)
                .contains("WALSTASH_ENCRYPTION_KEY_FILE=" + key2);

        fails(CliRun.of("key", "list", config(repository(), key1)), "does not open the repository's keyring");
        String keys = ok(CliRun.of("key", "list", config(repository(), key2))).out();
        assertThat(keys).containsPattern("(?m)^1 +\\S+ *$").containsPattern("(?m)^2 +\\S+ +yes$")
                .contains("keyring generation 3,")
                .doesNotContain(Files.readString(key1).strip()).doesNotContain(Files.readString(key2).strip());
    }

    @Test
    void keysAreReadBeforeStorageIsOpened() throws IOException {
        // the master key first, then the new key file, then the storage (here one that cannot open)
        String unopenable = "nosuchscheme://bucket/prefix";
        Path absent = dir.resolve("absent.key");
        for (String verb : new String[] {"rotate-data", "list"}) {
            fails(CliRun.of("key", verb, config(unopenable, null)), "no master key is configured");
        }
        fails(CliRun.of("key", "rotate-master", config(unopenable, null), "--new-key-file", absent.toString()),
                "no master key is configured");
        CliRun badNewKey = CliRun.of("key", "rotate-master", config(unopenable, key1), "--new-key-file", absent.toString());
        assertThat(badNewKey.exitCode()).isNotZero();
        assertThat(badNewKey.err()).contains(absent.toString()).doesNotContain("nosuchscheme");
        fails(CliRun.of("key", "rotate-master", config(unopenable, key1), "--new-key-file", key2.toString()), "nosuchscheme");
    }
}
