package io.walstash.core.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.walstash.core.backup.BackupCatalog;
import io.walstash.core.backup.BackupFetch;
import io.walstash.core.backup.BackupManifest;
import io.walstash.core.backup.RecoveryTarget;
import io.walstash.core.codec.Codecs;
import io.walstash.core.codec.DeflateTestCodec;
import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.testing.BackupFixtures.FixtureFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoreServiceTest {
    private static final DeflateTestCodec CODEC = new DeflateTestCodec();
    private static final String NAME = "base_000000010000000000000002";
    private static final String COMMAND = "fetch-wal %f %p";

    @TempDir
    Path work;
    private final InMemoryStorage storage = new InMemoryStorage();
    private final List<String> chosen = new ArrayList<>();

    private RestoreService service() {
        return new RestoreService(storage, Codecs.of(List.of(CODEC)), new PrintWriter(new StringWriter(), true));
    }

    private void storeBackup() throws IOException {
        BackupFixtures.restorable(storage, CODEC, NAME,
                List.of(new FixtureFile("global/pg_control", "control".getBytes(StandardCharsets.UTF_8), 0600),
                        new FixtureFile("PG_VERSION", "16\n".getBytes(StandardCharsets.UTF_8), 0600)),
                List.of(new BackupManifest.Directory("global", 0700)), Map.of());
    }

    private RestoreService.Request request(Optional<String> backup, RecoveryTarget target) {
        return new RestoreService.Request(backup, target, new BackupFetch.Options(work.resolve("dest"), false, Map.of(), 2),
                COMMAND);
    }

    @Test
    void withoutANameTheLatestBackupIsChosenFetchedAndSetUpToRecover() throws IOException {
        storeBackup();

        RestoreService.Result result = service().restore(request(Optional.empty(), RecoveryTarget.latest()),
                backup -> chosen.add(backup.name()));

        assertThat(result).isInstanceOf(RestoreService.Restored.class);
        RestoreService.Restored restored = (RestoreService.Restored) result;
        assertThat(restored.backup().name()).isEqualTo(NAME);
        assertThat(restored.chosen()).isTrue();
        assertThat(chosen).containsExactly(NAME);
        Path dest = work.resolve("dest");
        assertThat(dest.resolve("global/pg_control")).hasContent("control");
        assertThat(dest.resolve("recovery.signal")).exists();
        assertThat(Files.readString(dest.resolve("postgresql.auto.conf"))).contains("restore_command = 'fetch-wal %f %p'");
    }

    @Test
    void aNamedBackupIsNotAnnouncedAsChosen() throws IOException {
        storeBackup();

        RestoreService.Result result = service().restore(request(Optional.of("LATEST"), RecoveryTarget.latest()),
                backup -> chosen.add(backup.name()));

        assertThat(((RestoreService.Restored) result).chosen()).isFalse();
        assertThat(chosen).isEmpty();
    }

    @Test
    void noBackupBeforeTheTargetIsAResultAndWritesNothing() throws IOException {
        storeBackup();
        RecoveryTarget before = new RecoveryTarget(RecoveryTarget.Kind.TIME, "2020-01-01 00:00:00+00", null, null);

        RestoreService.Result result = service().restore(request(Optional.empty(), before), RestoreService.Listener.NONE);

        assertThat(result).isEqualTo(new RestoreService.NoBackup("no backup in " + storage.location()
                + " ended before the recovery target"));
        assertThat(work.resolve("dest")).doesNotExist();
    }

    @Test
    void anEmptyRepositoryHasNoBackups() throws IOException {
        RestoreService.Result result = service().restore(request(Optional.empty(), RecoveryTarget.latest()),
                RestoreService.Listener.NONE);

        assertThat(result).isEqualTo(new RestoreService.NoBackup("no backups in " + storage.location()));
    }

    @Test
    void aMissingNamedBackupIsNotFound() {
        assertThatThrownBy(() -> service().restore(request(Optional.of("base_000000010000000000000009"), RecoveryTarget.latest()),
                RestoreService.Listener.NONE)).isInstanceOf(BackupCatalog.NoSuchBackupException.class);
    }
}
