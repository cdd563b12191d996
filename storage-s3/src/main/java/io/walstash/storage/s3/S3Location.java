package io.walstash.storage.s3;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An {@code s3:} storage URI, checked: {@code s3://bucket} or {@code s3://bucket/key/prefix}.
 * The bucket name follows S3's naming rules; the prefix is kept as written, ending in '/'.
 */
record S3Location(String bucket, String prefix) {
    static final String SCHEME = "s3";

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern IP_ADDRESS = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    S3Location {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        String problem = bucketNameProblem(bucket);
        if (problem != null) {
            throw new IllegalArgumentException("S3 bucket name '" + bucket + "' is invalid: " + problem);
        }
        if (!prefix.isEmpty() && (!prefix.endsWith("/") || prefix.startsWith("/"))) {
            throw new IllegalArgumentException("S3 key prefix '" + prefix + "' must not start with '/' and must end with '/'");
        }
    }

    /** Parses and checks {@code s3://bucket/prefix}. */
    static S3Location of(URI uri) {
        Objects.requireNonNull(uri, "uri");
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("S3 storage needs an '" + SCHEME + "' URI such as s3://bucket/prefix, got scheme '"
                    + uri.getScheme() + "' in '" + uri + "'");
        }
        if (uri.isOpaque()) {
            throw new IllegalArgumentException("S3 storage URI '" + uri + "' is not of the form s3://bucket/prefix");
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("S3 storage URI '" + uri + "' names no bucket; use s3://bucket/prefix");
        }
        if (uri.getRawUserInfo() != null || authority.contains("@")) {
            throw new IllegalArgumentException("S3 storage URI '" + uri.getScheme() + "://...' must not carry credentials; pass them through the environment");
        }
        if (uri.getPort() != -1 || authority.contains(":")) {
            throw new IllegalArgumentException("S3 storage URI '" + uri + "' names a port; the endpoint goes in AWS_ENDPOINT, the URI holds s3://bucket/prefix");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("S3 storage URI '" + uri + "' must not have a query or fragment");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String prefix = path.replaceFirst("^/+", "");
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix += "/";
        }
        if (prefix.equals("/") || prefix.contains("//")) {
            throw new IllegalArgumentException("S3 storage URI '" + uri + "' has an empty path segment");
        }
        try {
            return new S3Location(authority, prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("S3 storage URI '" + uri + "': " + e.getMessage(), e);
        }
    }

    /** Why {@code name} breaks S3's bucket naming rules, or null when it doesn't. */
    static String bucketNameProblem(String name) {
        if (name.length() < 3 || name.length() > 63) {
            return "it must be 3 to 63 characters long";
        }
        if (!BUCKET.matcher(name).matches()) {
            return "only lowercase letters, digits, '.' and '-' are allowed, starting and ending with a letter or digit";
        }
        if (name.contains("..") || name.contains(".-") || name.contains("-.")) {
            return "'..', '.-' and '-.' are not allowed";
        }
        if (IP_ADDRESS.matcher(name).matches()) {
            return "it must not look like an IP address";
        }
        for (String reserved : new String[] {"xn--", "sthree-", "amzn-s3-demo-"}) {
            if (name.startsWith(reserved)) {
                return "the prefix '" + reserved + "' is reserved";
            }
        }
        for (String reserved : new String[] {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
            if (name.endsWith(reserved)) {
                return "the suffix '" + reserved + "' is reserved";
            }
        }
        return null;
    }

    /** The object key in the bucket for a storage key. */
    String objectKey(String key) {
        return prefix + key;
    }

    /** The storage key for an object key under the prefix. */
    String storageKey(String objectKey) {
        return objectKey.substring(prefix.length());
    }

    URI uri() {
        try {
            // the path quoted on its own: a bucket such as my.bucket.01 is no valid host name for URI's checks
            return URI.create(SCHEME + "://" + bucket + new URI(null, null, "/" + prefix, null).getRawPath());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot rebuild the URI of " + this, e);
        }
    }

    @Override
    public String toString() {
        return SCHEME + "://" + bucket + "/" + prefix;
    }
}
