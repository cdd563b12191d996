package io.walstash.core.concurrent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** A failure that happened on another thread, handed back to the thread that waited for the work. */
public final class Failures {
    private Failures() {
    }

    /**
     * The work's own failure, unwrapped from the future's and the unchecked wrappers: an
     * {@link IOException} is returned for the caller to throw, an unchecked exception or error is
     * thrown as it is, anything else is returned wrapped in an {@link IOException}.
     */
    public static IOException rethrown(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException
                || cause instanceof UncheckedIOException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IOException(String.valueOf(cause), cause);
    }
}
