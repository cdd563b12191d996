package io.walstash.core.crypto;

import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.util.List;

/** The settings of encryption at rest, declared once (read by the built-in {@link MasterKeySource}s). */
public final class EncryptionSettings implements SettingDeclarations {
    public static final String ENCRYPTION = "encryption";
    public static final Setting<String> KEY = Setting.of(ENCRYPTION, "WALSTASH_ENCRYPTION_KEY", SettingType.text()).asSecret()
            .doc("master key (base64 of 32 bytes, `walstash key generate`): encrypts every object written from now on");
    public static final Setting<String> KEY_FILE = Setting.of(ENCRYPTION, "WALSTASH_ENCRYPTION_KEY_FILE", SettingType.text())
            .doc("a file holding the master key (not readable by others): what restore_command is given");

    private static final List<Setting<?>> ALL = List.of(KEY, KEY_FILE);

    /** For ServiceLoader; the declarations are static. */
    public EncryptionSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
