package io.walstash.cli;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.time.Duration;
import java.util.List;

/** How long work shows its progress on stderr; changes nothing that is written or answered. */
public final class ProgressSettings implements SettingDeclarations {
    public static final Setting<Duration> PROGRESS_INTERVAL = Setting.of("progress", "WALSTASH_PROGRESS_INTERVAL",
                    SettingType.duration(Duration.ZERO, Duration.ofHours(1)))
            .defaults(Duration.ofSeconds(15)).asNeutral()
            .doc("backup-push, backup-fetch, restore, backup-verify, delete --confirm: a progress line on stderr this often"
                    + " when stderr is not a terminal (a terminal gets a live line); 0 = none");

    private static final List<Setting<?>> ALL = List.of(PROGRESS_INTERVAL);

    /** For ServiceLoader; the declarations are static. */
    public ProgressSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
