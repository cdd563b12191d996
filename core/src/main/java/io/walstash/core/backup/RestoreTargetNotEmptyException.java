package io.walstash.core.backup;

import java.nio.file.FileSystemException;

/**
 * A directory the restore would write into is not empty. {@link #onlyManifestNamesIt()}: it is a
 * location only the backup's manifest names, which walstash never empties, even when told to
 * replace contents; otherwise the caller may ask to replace its contents. The front end words how.
 */
public final class RestoreTargetNotEmptyException extends FileSystemException {
    private final String what;
    private final boolean onlyManifestNamesIt;

    public RestoreTargetNotEmptyException(String directory, String what, boolean onlyManifestNamesIt) {
        super(directory, null, onlyManifestNamesIt
                ? "the " + what + " the backup's manifest names is not empty; walstash never empties a directory only"
                        + " the repository names (not even when told to replace contents): map the tablespace elsewhere"
                : "the " + what + " is not empty; ask to replace its contents");
        this.what = what;
        this.onlyManifestNamesIt = onlyManifestNamesIt;
    }

    /** What the directory is for ("tablespace location", "WAL directory", ...). */
    public String what() {
        return what;
    }

    public boolean onlyManifestNamesIt() {
        return onlyManifestNamesIt;
    }
}
