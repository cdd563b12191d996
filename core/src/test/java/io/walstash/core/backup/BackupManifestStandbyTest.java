package io.walstash.core.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.storage.InMemoryStorage;
import io.walstash.core.testing.BackupFixtures;
import io.walstash.core.wal.WalSegmentSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The manifest's record of a backup taken from a standby, and manifests written before it existed. */
class BackupManifestStandbyTest {
    private static BackupManifest fromPrimary() throws IOException {
        return BackupFixtures.write(new InMemoryStorage(), WalSegmentSize.DEFAULT, 1, 2, 3,
                Instant.parse("2026-11-24T06:00:00Z"), Instant.parse("2026-11-24T06:01:00Z"), null, false, 1);
    }

    private static BackupManifest standby(BackupManifest m) {
        return new BackupManifest(m.formatVersion(), m.name(), m.startLsn(), m.stopLsn(), m.timeline(), m.startWalFile(),
                m.stopWalFile(), m.systemIdentifier(), m.postgresVersion(), m.startTime(), m.stopTime(), m.deltaBase(),
                m.codec(), m.blockSize(), m.dataChecksums(), m.originalSize(), m.storedSize(), m.permanent(),
                m.backupLabel(), m.tablespaceMap(), m.tablespaces(), m.directories(), m.files(), m.writer(), true);
    }

    @Test
    void aBackupFromAStandbySaysSoAndKeepsItThroughJsonAndMarking() throws IOException {
        BackupManifest manifest = standby(fromPrimary());

        BackupManifest read = BackupManifest.parse(manifest.toJson());

        assertThat(new String(manifest.toJson(), StandardCharsets.UTF_8)).contains("\"fromStandby\" : true");
        assertThat(read).isEqualTo(manifest);
        assertThat(read.takenFromStandby()).isTrue();
        assertThat(read.withPermanent(true).takenFromStandby()).isTrue();
    }

    @Test
    void aBackupFromAPrimaryWritesNoSuchFieldAndOlderManifestsReadAsFromAPrimary() throws IOException {
        BackupManifest manifest = fromPrimary();

        assertThat(new String(manifest.toJson(), StandardCharsets.UTF_8)).doesNotContain("fromStandby");
        assertThat(BackupManifest.parse(manifest.toJson()).takenFromStandby()).isFalse();
        String explicitFalse = new String(standby(manifest).toJson(), StandardCharsets.UTF_8)
                .replace("\"fromStandby\" : true", "\"fromStandby\" : false");
        assertThat(BackupManifest.parse(explicitFalse.getBytes(StandardCharsets.UTF_8))).isEqualTo(manifest);
    }
}
