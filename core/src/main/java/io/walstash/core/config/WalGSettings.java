package io.walstash.core.config;

import java.util.List;

/**
 * The settings of WAL-G's libsodium encryption, under WAL-G's own names (they mean nothing to
 * walstash's own objects): what io.walstash.core.archive.walg.WalGEncryption reads WAL-G's encrypted
 * WAL with. Declared here, in config, because every client (the daemon's JVM fast path too) loads the
 * catalogue, and that must not load the archive code; the transforms' names are WalGEncryption's
 * KeyTransform names (WalGEncryptionTest checks they agree).
 */
public final class WalGSettings implements SettingDeclarations {
    public static final String GROUP = "WAL-G migration";

    public static final Setting<String> KEY = Setting.of(GROUP, "WALG_LIBSODIUM_KEY", SettingType.text()).asSecret()
            .doc("the key WAL-G's libsodium encryption used: wal-fetch decrypts WAL-G's wal_005/ objects with it");
    public static final Setting<String> KEY_PATH = Setting.of(GROUP, "WALG_LIBSODIUM_KEY_PATH", SettingType.text())
            .doc("a file holding that key (surrounding white space ignored); WALG_LIBSODIUM_KEY wins when both are set");
    public static final Setting<String> KEY_TRANSFORM = Setting.of(GROUP, "WALG_LIBSODIUM_KEY_TRANSFORM",
                    SettingType.choice("none", "base64", "hex"))
            .defaults("none")
            .doc("how the key is written: base64 or hex of 32 bytes, or none: 25 to 32 characters, zero-padded");

    private static final List<Setting<?>> ALL = List.of(KEY, KEY_PATH, KEY_TRANSFORM);

    /** For ServiceLoader; the declarations are static. */
    public WalGSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
