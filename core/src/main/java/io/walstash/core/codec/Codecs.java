package io.walstash.core.codec;

import io.walstash.core.config.ServiceProviders;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The codecs on the class path, by name and by file extension. */
public final class Codecs {
    private final List<Codec> codecs;

    private Codecs(List<Codec> codecs) {
        this.codecs = List.copyOf(codecs);
    }

    /** Every codec registered as a service provider with the context class loader. */
    public static Codecs installed() {
        return new Codecs(ServiceProviders.load(Codec.class, Thread.currentThread().getContextClassLoader()));
    }

    public static Codecs of(List<Codec> codecs) {
        return new Codecs(codecs);
    }

    public List<Codec> all() {
        return codecs;
    }

    /** The codec called {@code name}; fails with the list of known names. */
    public Codec byName(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        return codecs.stream().filter(c -> c.name().equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown compression '" + name
                        + "' (known: " + names() + ")"));
    }

    /** The codec whose objects end in {@code .extension}, if any. */
    public Optional<Codec> byExtension(String extension) {
        return codecs.stream().filter(c -> c.fileExtension().equals(extension)).findFirst();
    }

    public String names() {
        return codecs.stream().map(Codec::name).sorted().collect(Collectors.joining(", "));
    }
}
