package io.walstash.cli;

import picocli.CommandLine.IVersionProvider;

/** The version written into the jar manifest by the build. */
public final class VersionProvider implements IVersionProvider {
    static String version() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    public static String writer() {
        return "walstash " + version();
    }

    @Override
    public String[] getVersion() {
        return new String[] {"walstash " + version(), "Java " + System.getProperty("java.version")};
    }
}
