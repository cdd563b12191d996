package io.walstash.cli;

import io.walstash.core.config.Configuration;
import io.walstash.core.crypto.DataKey;
import io.walstash.core.crypto.EncryptionKeyException;
import io.walstash.core.crypto.EncryptionSettings;
import io.walstash.core.crypto.KeyFileSource;
import io.walstash.core.crypto.Keyring;
import io.walstash.core.crypto.KeyringStore;
import io.walstash.core.crypto.MasterKey;
import io.walstash.core.crypto.MasterKeys;
import io.walstash.core.io.OwnerOnly;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "key", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Encryption keys: a master key (WALSTASH_ENCRYPTION_KEY_FILE or WALSTASH_ENCRYPTION_KEY) wraps",
                "the repository's data keys, which encrypt every object; see README, Encryption."},
        subcommands = {KeyCommand.Generate.class, KeyCommand.RotateMaster.class, KeyCommand.RotateData.class,
                KeyCommand.ListKeys.class})
final class KeyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required: generate, rotate-master, rotate-data, list");
    }

    /** The configured master key; an encrypted repository's key verbs need it. */
    static MasterKey masterKey(Configuration configuration) throws IOException {
        return MasterKeys.find(configuration.settings()).orElseThrow(() -> new EncryptionKeyException(
                "no master key is configured: set " + EncryptionSettings.KEY_FILE.name() + " (or "
                        + EncryptionSettings.KEY.name() + ")"));
    }

    /** What a keyring verb does in the repository's storage. */
    @FunctionalInterface
    interface OnStorage {
        void run(Storage storage) throws IOException;
    }

    /**
     * The verbs that work on the repository's keyring share one shape: the configuration, then its
     * master key (so that a missing key fails before storage is opened), then what the verb reads
     * besides (rotate-master's new key), then the storage, closed afterwards.
     */
    abstract static class KeyringVerb implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions config;

        /** Reads what else the verb needs, before storage is opened; answers what it then does there. */
        abstract OnStorage prepare(MasterKey master) throws IOException;

        @Override
        public final Integer call() throws IOException {
            Configuration configuration = config.load();
            OnStorage work = prepare(masterKey(configuration));
            try (Storage storage = config.open(configuration)) {
                work.run(storage);
            }
            return ExitCode.OK.code();
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Print a fresh master key (base64 of 32 random bytes), or write it to a new owner-only file."})
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--file", paramLabel = "FILE", description = "Write the key to FILE (created 0600, never overwritten) instead of printing it")
        Path file;

        @Override
        public Integer call() throws IOException {
            String key = MasterKey.generate().toBase64();
            if (file == null) {
                spec.commandLine().getOut().println(key);
                spec.commandLine().getOut().flush();
                return ExitCode.OK.code();
            }
            try (FileChannel out = OwnerOnly.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap((key + "\n").getBytes(StandardCharsets.US_ASCII));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            spec.commandLine().getErr().printf("walstash: wrote a new master key to %s%n", file);
            return ExitCode.OK.code();
        }
    }

    @Command(name = "rotate-master", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Seal the repository's keyring under the master key in FILE: one small object written, no data",
                    "object touched; the older keyring generations are deleted, so the old master key opens nothing."})
    static final class RotateMaster extends KeyringVerb {
        @Option(names = "--new-key-file", paramLabel = "FILE", required = true,
                description = "A file holding the new master key (`walstash key generate --file FILE`)")
        Path newKeyFile;

        @Override
        OnStorage prepare(MasterKey current) throws IOException {
            MasterKey next = KeyFileSource.read(newKeyFile, "--new-key-file " + newKeyFile);
            return storage -> {
                Keyring rotated = KeyringStore.rotateMaster(storage, current, next, Clock.systemUTC().instant());
                PrintWriter err = spec.commandLine().getErr();
                err.printf("walstash: keyring generation %d is sealed under the key in %s; the old master key no longer"
                        + " opens %s: give %s=%s to every walstash that uses it (archive_command, restore_command, daemons)%n",
                        rotated.generation(), newKeyFile, storage.location(), EncryptionSettings.KEY_FILE.name(), newKeyFile);
            };
        }
    }

    @Command(name = "rotate-data", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"Add a data key that encrypts everything written from now on; older objects keep theirs."})
    static final class RotateData extends KeyringVerb {
        @Override
        OnStorage prepare(MasterKey master) {
            return storage -> {
                Keyring rotated = KeyringStore.rotateData(storage, master, Clock.systemUTC().instant());
                spec.commandLine().getErr().printf("walstash: data key %d encrypts new objects (keyring generation %d)%n",
                        rotated.current(), rotated.generation());
            };
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = {"List the repository's data keys: id, creation time, which one is current; never key material."})
    static final class ListKeys extends KeyringVerb {
        @Override
        OnStorage prepare(MasterKey master) {
            return storage -> {
                Keyring keyring = KeyringStore.require(storage, master);
                PrintWriter out = spec.commandLine().getOut();
                out.printf("%-4s %-24s %s%n", "id", "created", "current");
                for (DataKey key : keyring.keys()) {
                    out.printf("%-4d %-24s %s%n", key.id(), key.created(), key.id() == keyring.current() ? "yes" : "");
                }
                out.printf("keyring generation %d, written %s%n", keyring.generation(), keyring.created());
                out.flush();
            };
        }
    }
}
