package io.walstash.core.archive;

import io.walstash.core.config.Configuration;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * The one place that decides how a push or fetch is served: which repository, codec and
 * (as they are added) look-ahead, spool, prefetch and retries. The CLI and the daemon both open it.
 */
public final class WalService implements WalRequests {

    /** How long the process serving requests lives: it decides what may run in the background. */
    public enum Mode {
        /** One request per process (archive_command calling the CLI): nothing may outlive the call. */
        ONE_SHOT,
        /** A long-running daemon: background work may continue between requests. */
        DAEMON
    }

    private final WalArchive archive;
    private final Mode mode;

    private WalService(WalArchive archive, Mode mode) {
        this.archive = archive;
        this.mode = mode;
    }

    public static WalService open(Configuration configuration, String writer, Mode mode) throws IOException {
        return new WalService(WalArchive.open(configuration, writer), mode);
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public PushResult push(Path file) throws IOException {
        return archive.push(file);
    }

    @Override
    public FetchResult fetch(String name, Path destination) throws IOException {
        return archive.fetch(name, destination);
    }

    @Override
    public URI location() {
        return archive.storage().location();
    }

    @Override
    public void close() throws IOException {
        archive.close();
    }
}
