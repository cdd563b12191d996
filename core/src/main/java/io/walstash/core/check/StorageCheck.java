package io.walstash.core.check;

import io.walstash.core.archive.WalArchive;
import io.walstash.core.config.Configuration;
import io.walstash.core.repository.RepositoryMarker;
import io.walstash.core.storage.CreatesBucket;
import io.walstash.core.storage.ObjectInfo;
import io.walstash.core.storage.Storage;
import io.walstash.core.storage.UploadCleanup;
import io.walstash.core.storage.Versioning;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Proves a configured storage works before PostgreSQL relies on it: opens the repository, optionally
 * creates the bucket (and sets its rule that aborts unfinished uploads, reads its versioning), writes, reads back, lists and deletes a probe object, and reads the
 * repository marker. Each step is reported to a {@link Listener} with its latency as it ends; a
 * failing step is reported and its exception thrown.
 */
public final class StorageCheck {
    /** Where probe objects are written (and removed again). */
    public static final String PROBE_PREFIX = "walstash-check/";
    public static final int PROBE_SIZE = 64 * 1024;
    /**
     * After how many days {@code --create-bucket}'s lifecycle rule aborts an unfinished multipart
     * upload: far longer than any upload walstash makes (a base backup's largest file takes minutes to
     * hours), short enough that the parts a killed backup-push leaves are not billed for long.
     */
    public static final int ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

    /** The steps, in order; {@link #label()} is how a report names them. */
    public enum Step {
        OPEN("open"), CREATE_BUCKET("create bucket"), WRITE_PROBE("write " + PROBE_SIZE / 1024 + " KiB probe"),
        READ_BACK("read it back"), LIST("list"), DELETE("delete"), CONFIRM_DELETED("confirm deleted"),
        READ_MARKER("read repository marker");

        private final String label;

        Step(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** What the check found, step by step. */
    public interface Listener {
        void passed(Step step, Duration took);

        void failed(Step step);

        /** After {@link Step#CREATE_BUCKET}: whether the bucket was created, or empty if the storage has none to create. */
        void bucket(Optional<Boolean> created);

        /** After a created (or found) bucket: what came of its rule that aborts unfinished uploads. */
        void uploadCleanup(UploadCleanup cleanup);

        /** After a created (or found) bucket: whether it keeps old versions. */
        void versioning(Versioning versioning);
    }

    /** A passed check: the storage works; {@code marker} is the repository it serves, empty for an empty one. */
    public record Passed(Optional<RepositoryMarker> marker) {
    }

    private final Listener listener;

    public StorageCheck(Listener listener) {
        this.listener = listener;
    }

    /** Runs every step against the storage {@code configuration} names; throws what the first failing step threw. */
    public Passed run(Configuration configuration, String writer, boolean createBucket) throws IOException {
        return run(() -> WalArchive.open(configuration, writer), createBucket);
    }

    /** Opens the repository's archive (the timed first step). */
    public interface Opener {
        WalArchive open() throws IOException;
    }

    /** As above, with the archive {@code opener} opens (and this check closes). */
    public Passed run(Opener opener, boolean createBucket) throws IOException {
        try (WalArchive archive = timed(Step.OPEN, opener::open)) {
            Storage storage = archive.storage();
            if (createBucket) {
                if (storage instanceof CreatesBucket creates) {
                    listener.bucket(Optional.of(timed(Step.CREATE_BUCKET, creates::createBucketIfMissing)));
                    setUp(creates);
                } else {
                    listener.bucket(Optional.empty());
                }
            }
            probe(storage);
            return new Passed(timed(Step.READ_MARKER, archive::readMarker));
        }
    }

    /**
     * The bucket's housekeeping, reported, never failing the check: the storage works without it, a
     * store may not implement it (s3proxy answers NotImplemented) and the credentials walstash archives
     * with rightly may not be allowed to change bucket policy. An init container that failed here
     * would stop a deployment whose archiving works; the probe that follows fails on its own when the
     * store really is unreachable.
     */
    private void setUp(CreatesBucket bucket) {
        UploadCleanup cleanup;
        try {
            cleanup = bucket.abortIncompleteUploads(ABORT_INCOMPLETE_UPLOADS_DAYS);
        } catch (IOException e) {
            cleanup = new UploadCleanup.Refused(e.getMessage());
        }
        listener.uploadCleanup(cleanup);
        Versioning versioning;
        try {
            versioning = bucket.versioning();
        } catch (IOException e) {
            versioning = new Versioning(Versioning.State.UNKNOWN, e.getMessage());
        }
        listener.versioning(versioning);
    }

    private void probe(Storage storage) throws IOException {
        byte[] content = new byte[PROBE_SIZE];
        new SecureRandom().nextBytes(content);
        String key = PROBE_PREFIX + UUID.randomUUID();
        boolean created = timed(Step.WRITE_PROBE, () -> storage.createIfAbsent(key, new ByteArrayInputStream(content)));
        if (!created) {
            throw new IOException("probe object " + key + " already existed; storage reported a create that did not happen");
        }
        try {
            byte[] read = timed(Step.READ_BACK, () -> {
                try (InputStream in = storage.read(key)) {
                    return in.readAllBytes();
                }
            });
            if (!Arrays.equals(read, content)) {
                throw new IOException("probe object " + key + " read back different bytes (" + read.length + " of " + content.length + ")");
            }
            boolean listed = timed(Step.LIST, () -> {
                try (Stream<ObjectInfo> listing = storage.list(PROBE_PREFIX)) {
                    return listing.anyMatch(info -> info.key().equals(key) && info.size() == content.length);
                }
            });
            if (!listed) {
                throw new IOException("probe object " + key + " is missing from the listing of " + PROBE_PREFIX);
            }
        } finally {
            timed(Step.DELETE, () -> {
                storage.delete(key);
                return null;
            });
        }
        if (timed(Step.CONFIRM_DELETED, () -> storage.stat(key)).isPresent()) {
            throw new IOException("probe object " + key + " is still there after delete");
        }
    }

    private interface Action<T> {
        T run() throws IOException;
    }

    private <T> T timed(Step step, Action<T> action) throws IOException {
        long started = System.nanoTime();
        try {
            T result = action.run();
            listener.passed(step, Duration.ofNanos(System.nanoTime() - started));
            return result;
        } catch (IOException e) {
            listener.failed(step);
            throw e;
        }
    }
}
