package io.walstash.core.backup;

/**
 * The backup has a tablespace the restore was given no location for, and was not told to trust the
 * location the manifest names. {@link #problem()} says which; how to give one is the front end's to word.
 */
public final class UnmappedTablespaceException extends IllegalArgumentException {
    private final String oid;
    private final String problem;

    public UnmappedTablespaceException(String oid, String problem) {
        super(problem + ": map it to a directory, or restore it to the location the repository names");
        this.oid = oid;
        this.problem = problem;
    }

    public String oid() {
        return oid;
    }

    /** The backup and tablespace concerned, without a remedy. */
    public String problem() {
        return problem;
    }
}
