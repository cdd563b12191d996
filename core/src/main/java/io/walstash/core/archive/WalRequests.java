package io.walstash.core.archive;

import io.walstash.core.spool.PushResult;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * What {@code archive_command} and {@code restore_command} ask of walstash, whoever serves them:
 * the command line working alone or the daemon. Both paths go through the same implementation
 * ({@link WalService}), so the result is the same either way.
 */
public interface WalRequests extends Closeable {

    /** Archives the WAL file at {@code file}; see {@link WalArchive#push}. */
    PushResult push(Path file) throws IOException;

    /** Fetches WAL file {@code name} to {@code destination}; see {@link WalArchive#fetch}. */
    FetchResult fetch(String name, Path destination) throws IOException;

    /** The repository served, without credentials, for messages. */
    URI location();
}
