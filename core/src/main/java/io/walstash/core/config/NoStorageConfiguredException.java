package io.walstash.core.config;

/** No setting names a storage. {@link #howToSet()} names the settings; a front end adds its own option. */
public final class NoStorageConfiguredException extends IllegalArgumentException {
    private final String howToSet;

    public NoStorageConfiguredException(String howToSet) {
        super("no storage configured: " + howToSet);
        this.howToSet = howToSet;
    }

    /** Which settings name a storage, such as "set WALSTASH_STORAGE (or WAL-G's …)". */
    public String howToSet() {
        return howToSet;
    }
}
