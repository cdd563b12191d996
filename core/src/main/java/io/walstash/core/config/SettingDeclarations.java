package io.walstash.core.config;

import java.util.List;

/**
 * A module's settings, found with {@link java.util.ServiceLoader}: core, the CLI and each storage
 * adapter ship {@code META-INF/services/io.walstash.core.config.SettingDeclarations} naming one
 * implementation. A separate SPI rather than a method of {@code StorageProvider}, because settings
 * that are not a backend's (the CLI's daemon, core's archive) are declared the same way, and a
 * third-party provider that declares nothing still works: its names pass through unresolved.
 *
 * <p>Implementations have a public no-argument constructor that does nothing expensive.
 */
public interface SettingDeclarations {

    /** This module's settings, in the order --help lists them. */
    List<Setting<?>> settings();
}
