package io.walstash.core.maintain;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.util.List;

/** Scheduled maintenance's settings: how many backups retention keeps when no count is given. */
public final class MaintenanceSettings implements SettingDeclarations {
    public static final String MAINTENANCE = "maintenance";
    public static final Setting<Integer> RETAIN_BACKUPS = Setting.of(MAINTENANCE, "WALSTASH_RETAIN_BACKUPS",
                    SettingType.count(1, Integer.MAX_VALUE))
            .alias("WALG_RETAIN_BACKUPS")
            .doc("backups that retention keeps (newest first, deltas keep their chain) when delete retain or maintain names no count");

    private static final List<Setting<?>> ALL = List.of(RETAIN_BACKUPS);

    /** For ServiceLoader; the declarations are static. */
    public MaintenanceSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
