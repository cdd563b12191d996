package io.walstash.core.receive;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.time.Duration;
import java.util.List;

/** The settings of the WAL receiver, which streams WAL over the replication protocol into the repository. */
public final class ReceiveSettings implements SettingDeclarations {
    public static final String RECEIVE = "streaming";

    public static final Setting<String> SLOT = Setting.of(RECEIVE, "WALSTASH_RECEIVE_SLOT", SettingType.text())
            .defaults("walstash")
            .doc("the physical replication slot the receiver streams from, created with RESERVE_WAL when missing; status reports its lag");
    public static final Setting<Duration> SYNC_INTERVAL = Setting.of(RECEIVE, "WALSTASH_RECEIVE_SYNC_INTERVAL",
                    SettingType.duration(Duration.ofMillis(10), Duration.ofHours(1)))
            .defaults(Duration.ofSeconds(1))
            .doc("received WAL is stored (as a partial segment) at most this long after it arrived; the slot advances only then");
    public static final Setting<Long> SYNC_SIZE = Setting.of(RECEIVE, "WALSTASH_RECEIVE_SYNC_SIZE",
                    SettingType.size(64L << 10, 1L << 30))
            .defaults(8L << 20).doc("... or as soon as this much WAL arrived since the last store, whichever comes first");
    public static final Setting<Duration> RECONNECT_MAX = Setting.of(RECEIVE, "WALSTASH_RECEIVE_RECONNECT_MAX",
                    SettingType.duration(Duration.ofMillis(100), Duration.ofHours(1)))
            .defaults(Duration.ofSeconds(30))
            .doc("the longest pause between reconnections after a failure (from 1s, doubling)");

    private static final List<Setting<?>> ALL = List.of(SLOT, SYNC_INTERVAL, SYNC_SIZE, RECONNECT_MAX);

    /** For ServiceLoader; the declarations are static. */
    public ReceiveSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
