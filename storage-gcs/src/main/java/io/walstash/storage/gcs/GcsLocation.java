package io.walstash.storage.gcs;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A {@code gs://bucket/prefix} storage URI, checked: a valid bucket name and an optional prefix of
 * non-empty '/'-separated segments. The prefix is kept with a trailing '/' (or empty), so that an
 * object's name is simply {@code prefix + key}.
 */
record GcsLocation(String bucket, String prefix) {
    static final String SCHEME = "gs";

    /** Lower-case letters, digits, '-', '_' and '.', starting and ending with a letter or digit. */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]*[a-z0-9]");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    /** GCS object names are at most 1024 bytes of UTF-8. */
    static final int MAX_OBJECT_NAME_BYTES = 1024;

    GcsLocation {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        String problem = bucketProblem(bucket);
        if (problem != null) {
            throw new IllegalArgumentException("GCS bucket name '" + bucket + "' is invalid: " + problem);
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("GCS prefix '" + prefix + "' must end with '/'");
        }
    }

    /** Parses {@code gs://bucket}, {@code gs://bucket/} or {@code gs://bucket/some/prefix[/]}. */
    static GcsLocation of(URI uri) {
        Objects.requireNonNull(uri, "uri");
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("GCS storage needs a '" + SCHEME + "' URI such as gs://bucket/prefix, got scheme '"
                    + uri.getScheme() + "' in '" + uri + "'");
        }
        if (uri.isOpaque()) {
            throw new IllegalArgumentException("GCS storage URI '" + uri + "' is not of the form gs://bucket/prefix");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("GCS storage URI '" + uri + "' must not have a query or fragment");
        }
        String bucket = uri.getRawAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("GCS storage URI '" + uri + "' names no bucket; use gs://bucket/prefix");
        }
        String problem = bucketProblem(bucket);
        if (problem != null) {
            throw new IllegalArgumentException("GCS bucket name '" + bucket + "' in '" + uri + "' is invalid: " + problem);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String prefix = path.startsWith("/") ? path.substring(1) : path;
        if (!prefix.isEmpty()) {
            String body = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
            for (String segment : body.split("/", -1)) {
                if (segment.isEmpty()) {
                    throw new IllegalArgumentException("GCS storage URI '" + uri + "' has an empty path segment ('//')");
                }
                if (segment.equals(".") || segment.equals("..")) {
                    throw new IllegalArgumentException("GCS storage URI '" + uri + "' has a '" + segment + "' path segment");
                }
                if (segment.indexOf('\r') >= 0 || segment.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("GCS storage URI '" + uri + "' has a line break in its prefix");
                }
            }
            prefix = body + "/";
        }
        return new GcsLocation(bucket, prefix);
    }

    /** Why {@code name} is not a valid GCS bucket name, or null when it is. */
    static String bucketProblem(String name) {
        if (name.contains(".")) {
            if (name.length() > 222) {
                return "a name with dots is at most 222 characters";
            }
            for (String part : name.split("\\.", -1)) {
                if (part.length() > 63) {
                    return "each dot-separated part is at most 63 characters";
                }
            }
        } else if (name.length() > 63) {
            return "it is longer than 63 characters";
        }
        if (name.length() < 3) {
            return "it is shorter than 3 characters";
        }
        if (!BUCKET.matcher(name).matches()) {
            return "use lower-case letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
        }
        if (IPV4.matcher(name).matches()) {
            return "it looks like an IP address";
        }
        if (name.startsWith("goog") || name.contains("google")) {
            return "it must not start with 'goog' or contain 'google'";
        }
        return null;
    }

    /** The canonical location, {@code gs://bucket/prefix/}, safe to log. */
    URI uri() {
        try {
            return new URI(SCHEME, bucket, "/" + prefix, null, null);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot form a URI for gs://" + bucket + "/" + prefix, e);
        }
    }

    /** The object name for {@code key}; fails naming the key when it can't be one. */
    String objectName(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("invalid storage key '': it is empty");
        }
        if (key.startsWith("/")) {
            throw invalidKey(key, "it is absolute (starts with '/')");
        }
        return checkedName(key);
    }

    /** The object-name prefix for listing keys that start with {@code keyPrefix}. */
    String listPrefix(String keyPrefix) {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (keyPrefix.startsWith("/")) {
            throw invalidKey(keyPrefix, "it is absolute (starts with '/')");
        }
        return checkedName(keyPrefix);
    }

    private String checkedName(String key) {
        if (key.indexOf('\r') >= 0 || key.indexOf('\n') >= 0) {
            throw invalidKey(key, "GCS object names can't contain line breaks");
        }
        String name = prefix + key;
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_OBJECT_NAME_BYTES) {
            throw invalidKey(key, "with the prefix it is longer than GCS's " + MAX_OBJECT_NAME_BYTES + " bytes");
        }
        return name;
    }

    /** The key of an object listed under this prefix. */
    String keyOf(String objectName) {
        return objectName.substring(prefix.length());
    }

    /** {@code gs://bucket/prefix/key}, for messages. */
    String describe(String key) {
        return "gs://" + bucket + "/" + prefix + key;
    }

    @Override
    public String toString() {
        return "gs://" + bucket + "/" + prefix;
    }

    private static IllegalArgumentException invalidKey(String key, String why) {
        return new IllegalArgumentException("invalid storage key '" + key + "': " + why);
    }
}
