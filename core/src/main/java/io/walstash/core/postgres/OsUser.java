package io.walstash.core.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Who runs PostgreSQL's server tools. PostgreSQL refuses to run as root, so when this process is
 * root the tools run through {@code runuser -u postgres --} (or the user named by
 * {@code WALSTASH_PG_OS_USER}) and the directories they need are handed to that user.
 */
public record OsUser(Optional<String> runAs) {

    public static OsUser current() {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root) {
            return new OsUser(Optional.empty());
        }
        String user = Optional.ofNullable(System.getenv("WALSTASH_PG_OS_USER")).filter(s -> !s.isBlank()).orElse("postgres");
        return new OsUser(Optional.of(user));
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
