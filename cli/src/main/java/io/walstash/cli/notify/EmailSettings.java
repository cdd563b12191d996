package io.walstash.cli.notify;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Setting;
import io.walstash.core.config.SettingDeclarations;
import io.walstash.core.config.SettingType;
import java.util.List;

/** Email notifications' settings: where the SMTP server is, how to reach it safely, who hears. */
public final class EmailSettings implements SettingDeclarations {
    public static final Setting<String> HOST = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_SMTP_HOST", SettingType.text())
            .doc("SMTP server for email notifications (the same events as the webhook); off when unset");
    public static final Setting<Integer> PORT = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_SMTP_PORT", SettingType.count(1, 65535))
            .doc("SMTP port (default 587 for starttls, 465 for tls, 25 for none)");
    public static final Setting<String> TLS = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_SMTP_TLS",
                    SettingType.choice("starttls", "tls", "none"))
            .defaults("starttls").doc("starttls: upgrade, and refuse a server that can't; tls: TLS from the first byte; none: plain");
    public static final Setting<String> USER = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_SMTP_USER", SettingType.text())
            .doc("SMTP login; no authentication when unset");
    public static final Setting<String> PASSWORD = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_SMTP_PASSWORD", SettingType.text())
            .asSecret().doc("SMTP password: never printed");
    public static final Setting<String> FROM = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_EMAIL_FROM", SettingType.text())
            .doc("the notifications' sender address");
    public static final Setting<String> TO = Setting.of(CoreSettings.NOTIFY, "WALSTASH_NOTIFY_EMAIL_TO", SettingType.text())
            .doc("recipients, separated by commas");

    private static final List<Setting<?>> ALL = List.of(HOST, PORT, TLS, USER, PASSWORD, FROM, TO);

    /** For ServiceLoader; the declarations are static. */
    public EmailSettings() {
    }

    @Override
    public List<Setting<?>> settings() {
        return ALL;
    }
}
