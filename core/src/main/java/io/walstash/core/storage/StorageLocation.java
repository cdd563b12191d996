package io.walstash.core.storage;

import io.walstash.core.config.Configuration;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a repository lives: an absolute URI with a scheme and a bucket or path, such as
 * {@code file:///var/lib/walstash} or {@code s3://bucket/prefix}. Credentials are never part of
 * it; {@link #toString()} is safe to log.
 */
public record StorageLocation(URI uri) {
    public StorageLocation {
        Objects.requireNonNull(uri, "uri");
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("storage URI '" + uri + "' has no scheme (expected e.g. file:///path or s3://bucket/prefix)");
        }
        if (uri.getUserInfo() != null) {
            throw new IllegalArgumentException("storage URI must not carry credentials; pass them through the environment");
        }
        boolean hasPath = uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/");
        boolean hasAuthority = uri.getAuthority() != null && !uri.getAuthority().isEmpty();
        if (!hasPath && !hasAuthority) {
            throw new IllegalArgumentException("storage URI '" + uri + "' has no path or bucket");
        }
    }

    /** Parses {@code text}; a plain absolute path is taken as {@code file://}. */
    public static StorageLocation parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("storage URI is empty");
        }
        if (trimmed.startsWith("/")) {
            return new StorageLocation(new java.io.File(trimmed).toURI().normalize());
        }
        try {
            URI uri = new URI(trimmed);
            if (uri.getScheme() != null) {
                uri = new URI(uri.getScheme().toLowerCase(Locale.ROOT) + ":" + uri.getRawSchemeSpecificPart());
            }
            return new StorageLocation(uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("storage URI '" + trimmed + "' is malformed: " + e.getReason());
        }
    }

    /** Where {@code configuration}'s storage setting points; a bad value is reported under the setting's name. */
    public static StorageLocation configured(Configuration configuration) {
        Configuration.StorageSetting setting = configuration.storageSetting();
        // WAL-G's WALG_FILE_PREFIX is a plain path; the other prefixes are URIs.
        try {
            return parse(setting.value());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting.name() + ": " + e.getMessage(), e);
        }
    }

    public String scheme() {
        return uri.getScheme();
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
