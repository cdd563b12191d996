package io.walstash.storage.fs;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@code file:} storage URI, checked: {@code file:///absolute/path} or
 * {@code file://localhost/absolute/path}, nothing else.
 */
record FileLocation(URI uri) {
    static final String SCHEME = "file";

    FileLocation {
        Objects.requireNonNull(uri, "uri");
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("file storage needs a '" + SCHEME + "' URI such as file:///var/lib/walstash, got scheme '"
                    + uri.getScheme() + "' in '" + uri + "'");
        }
        if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new IllegalArgumentException("file storage URI '" + uri + "' has a relative or missing path; use file:///absolute/path");
        }
        String authority = uri.getRawAuthority();
        if (authority != null && !authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
            throw new IllegalArgumentException("file storage URI '" + uri + "' names host '" + authority
                    + "'; only local paths are served: file:///absolute/path (or file://localhost/absolute/path)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("file storage URI '" + uri + "' must not have a query or fragment");
        }
        if (toPath(uri).getNameCount() == 0) {
            throw new IllegalArgumentException("file storage URI '" + uri + "' points at the filesystem root; name a directory");
        }
    }

    /** The root directory, absolute and normalized. */
    Path root() {
        return toPath(uri);
    }

    private static Path toPath(URI uri) {
        try {
            // Rebuilt without the authority: Path.of(URI) refuses file://localhost/...
            return Path.of(new URI(SCHEME, null, uri.getPath(), null)).normalize();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("file storage URI '" + uri + "' is malformed: " + e.getReason(), e);
        }
    }
}
