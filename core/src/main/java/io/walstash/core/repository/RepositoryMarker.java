package io.walstash.core.repository;

import io.walstash.core.storage.NoSuchObjectException;
import io.walstash.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;

/**
 * The root object of a repository. It pins the layout version and the PostgreSQL cluster (system
 * identifier, segment size, major version) the repository serves, so that a second cluster can't
 * silently write into the same prefix. Stored as a small properties text so that reading it on the
 * archive_command path loads nothing beyond the JDK.
 */
public record RepositoryMarker(int layoutVersion, long systemIdentifier, int walSegmentSize,
                               OptionalInt postgresMajorVersion, Instant createdAt, String createdBy) {

    /** The layout this walstash writes. */
    public static final int LAYOUT_VERSION = 1;
    public static final String KEY = "walstash-repository.properties";

    public RepositoryMarker {
        Objects.requireNonNull(postgresMajorVersion, "postgresMajorVersion");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(createdBy, "createdBy");
        if (layoutVersion < 1) {
            throw new IllegalArgumentException("layout version must be positive, got " + layoutVersion);
        }
    }

    /** The marker of the repository in {@code storage}, if it has one. */
    public static Optional<RepositoryMarker> read(Storage storage) throws IOException {
        try (InputStream in = storage.read(KEY)) {
            return Optional.of(parse(in.readAllBytes()));
        } catch (NoSuchObjectException e) {
            return Optional.empty();
        }
    }

    public byte[] toBytes() {
        StringBuilder text = new StringBuilder();
        text.append("# walstash repository marker: do not edit; it pins the cluster this repository serves\n");
        text.append("layout_version=").append(layoutVersion).append('\n');
        text.append("system_identifier=").append(Long.toUnsignedString(systemIdentifier)).append('\n');
        text.append("wal_segment_size=").append(walSegmentSize).append('\n');
        postgresMajorVersion.ifPresent(v -> text.append("postgres_major_version=").append(v).append('\n'));
        text.append("created_at=").append(createdAt).append('\n');
        text.append("created_by=").append(createdBy.replace('\n', ' ')).append('\n');
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static RepositoryMarker parse(byte[] bytes) throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        try {
            String major = properties.getProperty("postgres_major_version");
            return new RepositoryMarker(
                    Integer.parseInt(required(properties, "layout_version")),
                    Long.parseUnsignedLong(required(properties, "system_identifier")),
                    Integer.parseInt(required(properties, "wal_segment_size")),
                    major == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(major)),
                    Instant.parse(required(properties, "created_at")),
                    properties.getProperty("created_by", "unknown"));
        } catch (RuntimeException e) {
            throw new IOException("repository marker " + KEY + " is unreadable: " + e.getMessage(), e);
        }
    }

    private static String required(Properties properties, String name) throws IOException {
        String value = properties.getProperty(name);
        if (value == null) {
            throw new IOException("repository marker " + KEY + " lacks '" + name + "'");
        }
        return value.strip();
    }

    @Override
    public String toString() {
        StringWriter out = new StringWriter();
        out.write("system " + Long.toUnsignedString(systemIdentifier) + ", layout " + layoutVersion
                + ", " + (walSegmentSize >> 20) + " MiB segments");
        postgresMajorVersion.ifPresent(v -> out.write(", PostgreSQL " + v));
        return out.toString();
    }

}
