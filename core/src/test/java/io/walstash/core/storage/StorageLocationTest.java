package io.walstash.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StorageLocationTest {
    @Test
    void acceptsUrisAndPlainAbsolutePaths() {
        assertThat(StorageLocation.parse("s3://bucket/prefix").scheme()).isEqualTo("s3");
        assertThat(StorageLocation.parse("FILE:///var/lib/x").uri().toString()).isEqualTo("file:///var/lib/x");
        assertThat(StorageLocation.parse("/var/lib/x").uri().getPath()).isEqualTo("/var/lib/x");
    }

    @Test
    void rejectsWhatCannotBeARepository() {
        assertThatThrownBy(() -> StorageLocation.parse("file://"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'file://'");
        assertThatThrownBy(() -> StorageLocation.parse("file:///"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no path or bucket");
        assertThatThrownBy(() -> StorageLocation.parse("relative/dir"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no scheme");
        assertThatThrownBy(() -> StorageLocation.parse(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> StorageLocation.parse("s3://key:secret@bucket/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("credentials")
                .hasMessageNotContaining("secret@");
    }

    @Test
    void unknownSchemeNamesItAndTheKnownOnes() {
        assertThatThrownBy(() -> Storages.provider("ftp"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ftp'")
                .hasMessageContaining("known:");
    }
}
