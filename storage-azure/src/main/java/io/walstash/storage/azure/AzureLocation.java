package io.walstash.storage.azure;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An {@code azure://container/prefix} storage URI, checked: the container name follows Azure's
 * rules (3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or
 * digit); the prefix is empty or a '/'-separated path without empty, '.' or '..' segments.
 *
 * @param container the blob container
 * @param prefix    the blob-name prefix every key is stored under: empty, or ending in '/'
 */
record AzureLocation(String container, String prefix) {
    static final String SCHEME = "azure";

    private static final Pattern CONTAINER = Pattern.compile("[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}");

    AzureLocation {
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(prefix, "prefix");
        if (!CONTAINER.matcher(container).matches()) {
            throw new IllegalArgumentException("Azure container name '" + container
                    + "' is invalid: use 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix '" + prefix + "' must be empty or end in '/'");
        }
    }

    /** Parses {@code azure://container} or {@code azure://container/some/prefix}. */
    static AzureLocation of(URI uri) {
        Objects.requireNonNull(uri, "uri");
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("Azure storage needs an '" + SCHEME + "' URI such as azure://container/prefix, got scheme '"
                    + uri.getScheme() + "' in '" + uri + "'");
        }
        if (uri.isOpaque()) {
            throw new IllegalArgumentException("Azure storage URI '" + uri + "' must look like azure://container/prefix");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("Azure storage URI must not carry credentials; pass them through the environment");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("Azure storage URI '" + uri + "' must not have a query or fragment");
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("Azure storage URI '" + uri + "' names no container; use azure://container/prefix");
        }
        if (uri.getPort() != -1 || authority.contains(":")) {
            throw new IllegalArgumentException("Azure storage URI '" + uri + "' has a port; the endpoint is set with "
                    + AzureDeclarations.ENDPOINT + ", the URI names only azure://container/prefix");
        }
        String container = authority;
        if (!CONTAINER.matcher(container).matches()) {
            throw new IllegalArgumentException("Azure storage URI '" + uri + "': container name '" + container
                    + "' is invalid: use 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit");
        }
        return new AzureLocation(container, prefixOf(uri));
    }

    private static String prefixOf(URI uri) {
        String path = uri.getPath() == null ? "" : uri.getPath();
        // Leading and trailing slashes are tolerated (azure://c/, azure://c/p/); inner empty segments are not.
        String trimmed = path.replaceAll("^/+", "").replaceAll("/+$", "");
        if (trimmed.isEmpty()) {
            return "";
        }
        for (String segment : trimmed.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("Azure storage URI '" + uri + "' has an empty, '.' or '..' segment in its prefix");
            }
        }
        return trimmed + "/";
    }

    /** The blob name that stores {@code key}. */
    String blobName(String key) {
        return prefix + key;
    }

    /** The location as a URI: {@code azure://container/prefix/}. */
    URI uri() {
        try {
            return new URI(SCHEME, container, "/" + prefix, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot form a URI of container '" + container + "' and prefix '" + prefix + "'", e);
        }
    }

    @Override
    public String toString() {
        return uri().toString();
    }
}
