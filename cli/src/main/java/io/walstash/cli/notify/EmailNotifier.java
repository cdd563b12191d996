package io.walstash.cli.notify;

import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import io.walstash.core.notify.BoundedSend;
import io.walstash.core.notify.Notification;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Mails {@link Notification}s over SMTP (Jakarta Mail, Eclipse Angus), beside or instead of the
 * webhook, under the same rules: sending never throws, never takes longer than
 * {@code WALSTASH_NOTIFY_TIMEOUT} in all, never changes an exit code, and no message names the
 * password (a server's answer that quotes it is scrubbed). TLS checks the server's certificate
 * and name against the JVM's trust store; {@code starttls} refuses a server that offers no upgrade.
 */
public final class EmailNotifier {
    /**
     * @param transport extra Jakarta Mail properties (a test's trust of its own server's certificate)
     */
    record Smtp(String host, int port, String tls, Optional<String> user, Optional<String> password, InternetAddress from,
                InternetAddress[] to, Duration timeout, Map<String, Object> transport) {
    }

    private final Smtp smtp;

    EmailNotifier(Smtp smtp) {
        this.smtp = smtp;
    }

    /**
     * The notifier {@code settings} configure, or empty when {@code WALSTASH_NOTIFY_SMTP_HOST} is
     * unset. A bad or missing setting is one warning (naming the setting, never its value) and no email.
     */
    public static Optional<EmailNotifier> configured(Settings settings, Consumer<String> warn) {
        return configured(settings, Map.of(), warn);
    }

    static Optional<EmailNotifier> configured(Settings settings, Map<String, Object> transport, Consumer<String> warn) {
        Optional<String> host = EmailSettings.HOST.find(settings).map(String::strip).filter(h -> !h.isEmpty());
        if (host.isEmpty()) {
            return Optional.empty();
        }
        try {
            String tls = EmailSettings.TLS.get(settings);
            int port = EmailSettings.PORT.find(settings).orElse(switch (tls) {
                case "tls" -> 465;
                case "none" -> 25;
                default -> 587;
            });
            InternetAddress from = address(EmailSettings.FROM.find(settings), EmailSettings.FROM.name())[0];
            InternetAddress[] to = address(EmailSettings.TO.find(settings), EmailSettings.TO.name());
            Duration timeout = CoreSettings.NOTIFY_TIMEOUT.get(settings);
            Optional<String> user = EmailSettings.USER.find(settings);
            Optional<String> password = EmailSettings.PASSWORD.find(settings);
            if (user.isPresent() != password.isPresent()) {
                throw new IllegalArgumentException(EmailSettings.USER.name() + " and " + EmailSettings.PASSWORD.name()
                        + " go together");
            }
            return Optional.of(new EmailNotifier(new Smtp(host.get(), port, tls, user, password, from, to, timeout, transport)));
        } catch (IllegalArgumentException e) {
            warn.accept("walstash: warning: email notifications off: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static InternetAddress[] address(Optional<String> value, String setting) {
        if (value.isEmpty() || value.get().isBlank()) {
            throw new IllegalArgumentException(setting + " is not set");
        }
        try {
            InternetAddress[] addresses = InternetAddress.parse(value.get(), true);
            if (addresses.length == 0) {
                throw new IllegalArgumentException(setting + " names no address");
            }
            return addresses;
        } catch (AddressException e) {
            throw new IllegalArgumentException(setting + " is not a list of email addresses");
        }
    }

    /** Where mail goes, without credentials: {@code smtp.example.com:587 (starttls)}. */
    public String server() {
        return smtp.host() + ":" + smtp.port() + " (" + smtp.tls() + ")";
    }

    /** Mails {@code notification}; returns whether the server accepted it in time. Never throws. */
    public boolean send(Notification notification, Consumer<String> warn) {
        return BoundedSend.run("walstash-email", smtp.timeout(), () -> {
            deliver(notification);
            return Boolean.TRUE;
        }, this::reason, why -> warn.accept(failed(why))) != null;
    }

    private void deliver(Notification notification) throws MessagingException {
        Session session = Session.getInstance(properties());
        MimeMessage message = new MimeMessage(session);
        message.setFrom(smtp.from());
        message.setRecipients(Message.RecipientType.TO, smtp.to());
        message.setSubject(subject(notification), StandardCharsets.UTF_8.name());
        message.setText(body(notification), StandardCharsets.UTF_8.name());
        message.setSentDate(new java.util.Date());
        try (Transport transport = session.getTransport(smtp.tls().equals("tls") ? "smtps" : "smtp")) {
            if (smtp.user().isPresent()) {
                transport.connect(smtp.host(), smtp.port(), smtp.user().get(), smtp.password().orElseThrow());
            } else {
                transport.connect(smtp.host(), smtp.port(), null, null);
            }
            transport.sendMessage(message, message.getAllRecipients());
        }
    }

    private Properties properties() {
        Properties p = new Properties();
        String millis = Long.toString(smtp.timeout().toMillis());
        for (String protocol : new String[] {"smtp", "smtps"}) {
            String prefix = "mail." + protocol + ".";
            p.put(prefix + "connectiontimeout", millis);
            p.put(prefix + "timeout", millis);
            p.put(prefix + "writetimeout", millis);
            p.put(prefix + "auth", Boolean.toString(smtp.user().isPresent()));
            // a certificate for another name is a man in the middle, whatever the JVM's default
            p.put(prefix + "ssl.checkserveridentity", "true");
            if (smtp.tls().equals("starttls")) {
                p.put(prefix + "starttls.enable", "true");
                p.put(prefix + "starttls.required", "true");
            }
        }
        p.putAll(smtp.transport());
        return p;
    }

    static String subject(Notification n) {
        String what = n.event().equals(Notification.UNHEALTHY) ? "repository unhealthy"
                : n.exitCode() == 0 ? "passed" : "failed (exit " + n.exitCode() + ")";
        return "walstash on " + n.host() + ": " + n.command() + " " + what;
    }

    static String body(Notification n) {
        StringBuilder b = new StringBuilder(n.text()).append("\n\n");
        b.append("event:     ").append(n.event()).append('\n');
        b.append("host:      ").append(n.host()).append('\n');
        n.storage().ifPresent(s -> b.append("storage:   ").append(s).append('\n'));
        b.append("command:   ").append(n.command()).append('\n');
        b.append("exit code: ").append(n.exitCode()).append("\n\n");
        for (String line : n.detail().split("; ")) {
            if (!line.isEmpty()) {
                b.append(line).append('\n');
            }
        }
        return b.toString();
    }

    private String failed(String reason) {
        return "walstash: warning: notification by email via " + server() + " failed: " + reason;
    }

    /** A cause in one line, with the password scrubbed should a server or library quote it. */
    private String reason(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root && (root.getMessage() == null
                || root instanceof MessagingException && root.getCause() instanceof java.io.IOException)) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "" : ": " + root.getMessage().lines().findFirst().orElse("").strip();
        String line = root.getClass().getSimpleName() + message;
        if (smtp.password().isPresent() && !smtp.password().get().isEmpty()) {
            line = line.replace(smtp.password().get(), "…");
        }
        return line;
    }

    @Override
    public String toString() {
        return "EmailNotifier(" + server() + ")";
    }
}
