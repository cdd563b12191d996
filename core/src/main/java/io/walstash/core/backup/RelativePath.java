package io.walstash.core.backup;

import java.util.List;
import java.util.Optional;

/**
 * A path inside a data directory as a manifest names it: relative, '/'-separated and normalised
 * (no empty, {@code .} or {@code ..} component), without NUL, control characters or backslashes
 * (a separator to Windows tools and an escape to shells). A manifest comes from the repository,
 * which is untrusted, so restore only ever joins such a path to its destination.
 */
public record RelativePath(String value) {
    /** PostgreSQL's MAXPGPATH is 1024; leave room for a tablespace's own prefix. */
    static final int MAX_LENGTH = 4096;
    /** NAME_MAX on Linux. */
    static final int MAX_COMPONENT = 255;

    public RelativePath {
        Optional<String> problem = problem(value);
        if (problem.isPresent()) {
            throw new IllegalArgumentException("path " + printable(value) + " " + problem.get());
        }
    }

    /** Why {@code text} is not a safe relative path, or empty when it is one. */
    public static Optional<String> problem(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.of("is empty");
        }
        if (text.length() > MAX_LENGTH) {
            return Optional.of("is longer than " + MAX_LENGTH + " characters");
        }
        if (text.startsWith("/")) {
            return Optional.of("is absolute");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                return Optional.of("contains NUL");
            }
            if (c < 0x20 || c == 0x7f) {
                return Optional.of("contains a control character");
            }
            if (c == '\\') {
                return Optional.of("contains a backslash");
            }
        }
        // component by component without String.split: this runs for every entry of every manifest read
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('/', start);
            if (end < 0) {
                end = text.length();
            }
            int length = end - start;
            if (length == 0) {
                return Optional.of("has an empty component");
            }
            if ((length == 1 || length == 2) && text.startsWith("..".substring(0, length), start)) {
                return Optional.of("has a '" + text.substring(start, end) + "' component");
            }
            if (length > MAX_COMPONENT) {
                return Optional.of("has a component longer than " + MAX_COMPONENT + " characters");
            }
            start = end + 1;
        }
        return Optional.empty();
    }

    public List<String> components() {
        return List.of(value.split("/"));
    }

    /**
     * {@code text} quoted for a one-line message: control characters, backslashes and quotes escaped,
     * cut at 200 characters, so a hostile name can neither break the line nor flood the terminal.
     */
    public static String printable(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        int limit = Math.min(text.length(), 200);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (text.length() > limit) {
            out.append("...");
        }
        return out.append('"').toString();
    }

    @Override
    public String toString() {
        return value;
    }
}
