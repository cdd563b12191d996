import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of the launcher folder: rewrites the jars in {@code args[0]} whose names start with
 * one of {@code args[1..]} without their JAR signature: the signature files
 * ({@code META-INF/*.SF}, {@code .RSA}, {@code .DSA}, {@code .EC}) are left out and the manifest
 * keeps its main attributes only (Multi-Release among them), not the per-entry digests.
 *
 * <p>Why, for Azure's SDK jars: class-data sharing leaves the classes of a signed jar out
 * of the archive a run dumps at exit, and JDK 17's dump then crashed (SIGSEGV in
 * SystemDictionaryShared::adjust_lambda_proxy_class_dictionary, a lambda whose caller class was left
 * out): every one-shot command on an azure:// repository did its work and then ended with exit code
 * 134, which PostgreSQL takes for a fatal restore_command failure. Nothing checks their signature
 * (the JDK checks a jar's signature only for a JCE provider). Every other entry is copied byte for
 * byte; a jar is replaced atomically. (bcprov was unsigned too while walstash used it: its manifest
 * of 855 KB of per-entry digests was read whenever a search of the class path opened it.)
 */
public final class UnsignJars {
    private UnsignJars() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: UnsignJars LIB_DIR JAR_NAME_PREFIX...");
        }
        Path lib = Path.of(args[0]);
        int unsigned = 0;
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(lib, "*.jar")) {
            for (Path jar : jars) {
                String name = jar.getFileName().toString();
                for (int i = 1; i < args.length; i++) {
                    if (name.startsWith(args[i])) {
                        unsign(jar);
                        unsigned++;
                        break;
                    }
                }
            }
        }
        if (unsigned == 0) {
            throw new IllegalStateException("no jar in " + lib + " starts with any of the names given");
        }
    }

    private static boolean isSignatureFile(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return upper.startsWith("META-INF/") && upper.indexOf('/', "META-INF/".length()) < 0
                && (upper.endsWith(".SF") || upper.endsWith(".RSA") || upper.endsWith(".DSA") || upper.endsWith(".EC"));
    }

    private static void unsign(Path jar) throws IOException {
        Path rewritten = jar.resolveSibling(jar.getFileName() + ".tmp");
        boolean manifestSeen = false;
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(rewritten))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                String name = entry.getName();
                if (isSignatureFile(name)) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(name);
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                if (name.equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                    Manifest manifest = new Manifest(in);
                    Manifest main = new Manifest();
                    main.getMainAttributes().putAll(manifest.getMainAttributes());
                    if (main.getMainAttributes().get(Attributes.Name.MANIFEST_VERSION) == null) {
                        throw new IOException(jar + ": its manifest has no Manifest-Version");
                    }
                    main.write(out);
                    manifestSeen = true;
                } else {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
        if (!manifestSeen) {
            Files.delete(rewritten);
            throw new IOException(jar + " has no manifest: not the signed jar this step expects");
        }
        Files.move(rewritten, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
