package io.walstash.core.postgres;

import io.walstash.core.config.Configuration;
import io.walstash.core.config.CoreSettings;
import io.walstash.core.config.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who runs PostgreSQL's server tools. PostgreSQL refuses to run as root, so when this process is
 * root the tools run through {@code runuser -u postgres --} (or the user named by
 * {@code WALSTASH_PG_OS_USER}) and the directories they need are handed to that user.
 */
public record OsUser(Optional<String> runAs) {

    /** As {@link #current(Settings)}, with the settings of the environment and its config file ({@code WALSTASH_CONFIG}). */
    public static OsUser current() {
        try {
            return current(Configuration.load(Map.of(), System.getenv()).settings());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This process's user, or when it is root the one {@code WALSTASH_PG_OS_USER} names (default postgres). */
    public static OsUser current(Settings settings) {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            return new OsUser(Optional.empty());
        }
        return new OsUser(Optional.of(CoreSettings.PG_OS_USER.get(settings)));
    }

    /** {@code command} as it must be started to run as this user. */
    public List<String> wrap(List<String> command) {
        if (runAs.isEmpty()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", runAs.get(), "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Makes {@code path} owned by this user, so its tools can write there. */
    public void own(Path path) throws IOException {
        if (runAs.isEmpty()) {
            return;
        }
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        try {
            Files.setOwner(path, lookup.lookupPrincipalByName(runAs.get()));
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
            throw new IOException("running as root needs an OS user '" + runAs.get()
                    + "' for PostgreSQL (set WALSTASH_PG_OS_USER to use another)", e);
        }
    }
}
