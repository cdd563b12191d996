package io.walstash.core.config;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The providers of a service (codecs, storage adapters, setting declarations...), as
 * {@link ServiceLoader} finds them, the one way walstash looks them up.
 *
 * <p>Why not ServiceLoader alone: to find every {@code META-INF/services/<service>} it opens every
 * jar of the class path, and the first such search of a run opens all 150 of the distribution's:
 * about 100 ms of every command's start (then a signed jar's 855 KB manifest alone about 40 ms), a
 * quarter of a one-shot {@code wal-fetch}. The build writes an index of the distribution's jars
 * and of every provider they declare ({@code lib/providers.index}: lines {@code jar <name> <size>}
 * and {@code provider <service> <provider>}; one such file for the whole of lib/ and one for each
 * storage scheme's own class path), and the launcher names the one for the class path it gives the
 * JVM in {@code -Dwalstash.providers}. It is used only while the class path holds exactly the jars
 * it records, by name and size, all in the index's folder (a jar added to lib/, replaced or removed
 * since means ServiceLoader's search; a jar lib/ holds that is not on the class path is none of its
 * business, as it is none of ServiceLoader's), and only for the system class loader, which loads
 * the distribution: an application embedding walstash, or a service the index does not list, gets
 * ServiceLoader's search as before.
 */
public final class ServiceProviders {
    /** The system property naming the index. */
    public static final String INDEX_PROPERTY = "walstash.providers";

    /**
     * The index read, with the file it was read from (the property is read on every call: a test
     * may change it); {@code providers} null when the folder's jars are not those it records.
     */
    private record Index(String file, Map<String, List<String>> providers) {
    }

    private static volatile Index index;

    private ServiceProviders() {
    }

    /** The providers of {@code service} that {@code loader} sees, instantiated, in the order found. */
    public static <S> List<S> load(Class<S> service, ClassLoader loader) {
        List<String> indexed = loader == ClassLoader.getSystemClassLoader() ? indexed(service.getName()) : null;
        List<S> found = new ArrayList<>();
        if (indexed == null) {
            ServiceLoader.load(service, loader).forEach(found::add);
            return found;
        }
        for (String name : indexed) {
            found.add(instantiate(service, name, loader));
        }
        return found;
    }

    /** The providers the index lists for {@code service}; null when there is no index or it does not list the service. */
    private static List<String> indexed(String service) {
        String file = System.getProperty(INDEX_PROPERTY);
        if (file == null || file.isEmpty()) {
            return null;
        }
        Index known = index;
        if (known == null || !known.file().equals(file)) {
            known = new Index(file, read(Path.of(file), System.getProperty("java.class.path", "")));
            index = known;
        }
        return known.providers() == null ? null : known.providers().get(service);
    }

    /**
     * The providers {@code file} lists by service; null when {@code classPath} (the JVM's, as
     * {@code java.class.path} has it) is not exactly the jars it records, in its folder.
     */
    static Map<String, List<String>> read(Path file, String classPath) {
        Map<String, List<String>> providers = new LinkedHashMap<>();
        Map<String, Long> jars = new HashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the provider index " + file + " (" + INDEX_PROPERTY + ")", e);
        }
        for (String line : lines) {
            String entry = line.strip();
            if (entry.isEmpty() || entry.startsWith("#")) {
                continue;
            }
            String[] fields = entry.split(" ");
            if (fields.length == 3 && fields[0].equals("jar")) {
                jars.put(fields[1], parseSize(file, fields[2]));
            } else if (fields.length == 3 && fields[0].equals("provider")) {
                providers.computeIfAbsent(fields[1], s -> new ArrayList<>()).add(fields[2]);
            } else {
                throw new ServiceConfigurationError("provider index " + file + ": '" + entry
                        + "' is neither 'jar <name> <size>' nor 'provider <service> <provider>'");
            }
        }
        return jars.equals(jarsOn(classPath, file.toAbsolutePath().normalize().getParent())) ? providers : null;
    }

    private static long parseSize(Path file, String size) {
        try {
            return Long.parseLong(size);
        } catch (NumberFormatException e) {
            throw new ServiceConfigurationError("provider index " + file + ": jar size '" + size + "' is not a number");
        }
    }

    /**
     * The jars of {@code classPath} with their sizes; null when an entry is not a jar in
     * {@code folder} (the class path is not the launcher's).
     */
    private static Map<String, Long> jarsOn(String classPath, Path folder) {
        Map<String, Long> jars = new HashMap<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            Path jar = Path.of(entry).toAbsolutePath().normalize();
            if (!folder.equals(jar.getParent()) || !jar.getFileName().toString().endsWith(".jar")) {
                return null;
            }
            try {
                jars.put(jar.getFileName().toString(), Files.size(jar));
            } catch (IOException e) {
                return null; // a jar the JVM could not open either: nothing to index
            }
        }
        return jars;
    }

    /** As ServiceLoader does: a public class with a public no-argument constructor, of the service's type. */
    private static <S> S instantiate(Class<S> service, String name, ClassLoader loader) {
        try {
            Class<?> type = Class.forName(name, false, loader);
            if (!service.isAssignableFrom(type)) {
                throw new ServiceConfigurationError(service.getName() + ": provider " + name + " is not a subtype");
            }
            return service.cast(type.getConstructor().newInstance());
        } catch (ClassNotFoundException e) {
            throw new ServiceConfigurationError(service.getName() + ": provider " + name + " not found", e);
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
            throw new ServiceConfigurationError(service.getName() + ": provider " + name + " could not be instantiated", e);
        } catch (InvocationTargetException e) {
            throw new ServiceConfigurationError(service.getName() + ": provider " + name + " could not be instantiated",
                    e.getCause());
        }
    }
}
