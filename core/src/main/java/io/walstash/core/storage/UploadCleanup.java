package io.walstash.core.storage;

/**
 * What came of asking a bucket to abort multipart uploads left unfinished ({@link
 * CreatesBucket#abortIncompleteUploads}): a killed upload leaves its parts behind, invisible to a
 * listing and billed until something removes them.
 */
public sealed interface UploadCleanup {

    /** The bucket got rule {@code rule}: unfinished uploads are aborted {@code days} days after they began. */
    record Added(int days, String rule) implements UploadCleanup {
    }

    /** Rule {@code rule} the bucket already had aborts them after {@code days} days; nothing was changed. */
    record Present(int days, String rule) implements UploadCleanup {
    }

    /** The store refused the rule or does not implement it ({@code reason}, one line); the bucket works without it. */
    record Refused(String reason) implements UploadCleanup {
    }

    /** The backend needs no rule ({@code why}). */
    record NotApplicable(String why) implements UploadCleanup {
    }
}
