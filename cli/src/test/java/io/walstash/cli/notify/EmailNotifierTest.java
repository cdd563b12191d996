package io.walstash.cli.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.walstash.core.config.Settings;
import io.walstash.core.notify.Notification;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Email notifications against GreenMail's real SMTP and SMTPS servers in this JVM, with
 * authentication. GreenMail's SMTP offers no STARTTLS, so a successful upgrade is not shown here;
 * that starttls refuses a server without it is.
 */
class EmailNotifierTest {
    private static final String PASSWORD = "s3cr3t-SMTP-pa55";
    /** Trust GreenMail's self-signed certificate (its name is no host's): only these tests do. */
    private static final Map<String, Object> TRUST_TEST_SERVER = Map.of("mail.smtps.ssl.trust", "*",
            "mail.smtps.ssl.checkserveridentity", "false", "mail.smtp.ssl.trust", "*", "mail.smtp.ssl.checkserveridentity", "false");

    private GreenMail mail;
    private final List<String> warnings = new ArrayList<>();

    @AfterEach
    void stop() {
        if (mail != null) {
            mail.stop();
        }
    }

    private GreenMail start(ServerSetup setup) {
        ServerSetup dynamic = setup.dynamicPort();
        // a loaded 2-core machine needs longer than GreenMail's default 2 s to bring SMTPS up
        dynamic.setServerStartupTimeout(60_000);
        mail = new GreenMail(dynamic);
        mail.setUser("walstash@example.org", "walstash", PASSWORD);
        mail.start();
        return mail;
    }

    private Map<String, String> settings(int port, String tls, String password) {
        Map<String, String> env = new HashMap<>();
        env.put("WALSTASH_NOTIFY_SMTP_HOST", "127.0.0.1");
        env.put("WALSTASH_NOTIFY_SMTP_PORT", Integer.toString(port));
        env.put("WALSTASH_NOTIFY_SMTP_TLS", tls);
        env.put("WALSTASH_NOTIFY_SMTP_USER", "walstash");
        env.put("WALSTASH_NOTIFY_SMTP_PASSWORD", password);
        env.put("WALSTASH_NOTIFY_EMAIL_FROM", "walstash@example.org");
        env.put("WALSTASH_NOTIFY_EMAIL_TO", "dba@example.org, oncall@example.org");
        env.put("WALSTASH_NOTIFY_TIMEOUT", "10s");
        return env;
    }

    private static Notification failure() {
        return new Notification(Notification.SUMMARY, "db1", Optional.of("s3://backups/pg"), "maintain", 11,
                "step backup failed (exit 11); backup: failed: connection refused; retention: skipped: the backup failed");
    }

    private EmailNotifier notifier(Map<String, String> env, Map<String, Object> transport) {
        return EmailNotifier.configured(Settings.of(env), transport, warnings::add).orElseThrow();
    }

    @Test
    void mailsOverSmtpsWithAuthToEveryRecipient() throws Exception {
        GreenMail server = start(ServerSetupTest.SMTPS);
        boolean sent = notifier(settings(server.getSmtps().getPort(), "tls", PASSWORD), TRUST_TEST_SERVER).send(failure(), warnings::add);
        assertThat(sent).as(warnings.toString()).isTrue();
        assertThat(server.waitForIncomingEmail(5000, 2)).isTrue();
        MimeMessage[] received = server.getReceivedMessages();
        assertThat(received).hasSize(2);
        assertThat(received[0].getSubject()).isEqualTo("walstash on db1: maintain failed (exit 11)");
        String body = GreenMailUtil.getBody(received[0]);
        assertThat(body).contains("maintain failed with exit code 11", "step backup failed (exit 11)", "storage:   s3://backups/pg");
        assertThat(received[0].getFrom()[0].toString()).isEqualTo("walstash@example.org");
        assertThat(warnings).isEmpty();
    }

    @Test
    void mailsOverPlainSmtpWithAuthWhenTlsIsNone() throws Exception {
        GreenMail server = start(ServerSetupTest.SMTP);
        boolean sent = notifier(settings(server.getSmtp().getPort(), "none", PASSWORD), Map.of()).send(failure(), warnings::add);
        assertThat(sent).as(warnings.toString()).isTrue();
        assertThat(server.waitForIncomingEmail(5000, 2)).isTrue();
        assertThat(server.getReceivedMessages()[0].getSubject()).isEqualTo("walstash on db1: maintain failed (exit 11)");
    }

    @Test
    void aWrongPasswordIsOneWarningThatDoesNotContainIt() {
        GreenMail server = start(ServerSetupTest.SMTPS);
        String wrong = "wr0ng-" + PASSWORD;
        boolean sent = notifier(settings(server.getSmtps().getPort(), "tls", wrong), TRUST_TEST_SERVER).send(failure(), warnings::add);
        assertThat(sent).isFalse();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).startsWith("walstash: warning: notification by email via 127.0.0.1:" + server.getSmtps().getPort()
                + " (tls) failed: ").contains("Authentication").doesNotContain(wrong).doesNotContain(PASSWORD);
        assertThat(server.getReceivedMessages()).isEmpty();
    }

    @Test
    void tlsRefusesACertificateTheJvmDoesNotTrust() {
        GreenMail server = start(ServerSetupTest.SMTPS);
        boolean sent = notifier(settings(server.getSmtps().getPort(), "tls", PASSWORD), Map.of()).send(failure(), warnings::add);
        assertThat(sent).isFalse();
        assertThat(warnings).singleElement().asString().contains("failed: ").doesNotContain(PASSWORD);
        assertThat(server.getReceivedMessages()).isEmpty();
    }

    @Test
    void starttlsRefusesAServerThatCannotUpgradeRatherThanSendThePasswordInTheClear() {
        // GreenMail's SMTP offers no STARTTLS: the default mode must refuse it, not fall back to plain
        GreenMail server = start(ServerSetupTest.SMTP);
        boolean sent = notifier(settings(server.getSmtp().getPort(), "starttls", PASSWORD), TRUST_TEST_SERVER).send(failure(), warnings::add);
        assertThat(sent).isFalse();
        assertThat(warnings).singleElement().asString()
                .contains("(starttls) failed: ", "STARTTLS is required but host does not support STARTTLS").doesNotContain(PASSWORD);
        assertThat(server.getReceivedMessages()).isEmpty();
    }

    @Test
    void missingRecipientsTurnEmailOffWithOneWarningNamingTheSetting() {
        Map<String, String> env = settings(25, "none", PASSWORD);
        env.remove("WALSTASH_NOTIFY_EMAIL_TO");
        assertThat(EmailNotifier.configured(Settings.of(env), warnings::add)).isEmpty();
        assertThat(warnings).containsExactly("walstash: warning: email notifications off: WALSTASH_NOTIFY_EMAIL_TO is not set");
        assertThat(EmailNotifier.configured(Settings.of(Map.of()), warnings::add)).isEmpty();
        assertThat(warnings).hasSize(1);
    }
}
