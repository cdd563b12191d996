import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;

/**
 * Build step of the launcher folder (run by the cli module's pom with ASM on the class path):
 * rewrites the jars in {@code args[0]} whose names start with one of {@code args[1..]} so that
 * every class file is at least a Java 8 class file, with stack map frames computed by ASM.
 *
 * <p>Why: picocli ships Java 5 class files (version 49). Class-data sharing archives no class file
 * older than version 50, nor one that needs the old type-inferencing verifier, so every walstash
 * command loaded picocli's 176 classes from its jar and verified them the slow way (measured: a
 * one-shot {@code wal-fetch} 530 -> 409 ms median once they are archived). The bytecode itself is
 * not changed; classes already at version 52 or newer, and multi-release entries, are copied as
 * they are. A jar is replaced atomically, and only when every class was rewritten.
 */
public final class UpgradeClassFiles {
    private UpgradeClassFiles() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: UpgradeClassFiles LIB_DIR JAR_NAME_PREFIX...");
        }
        Path lib = Path.of(args[0]);
        int upgraded = 0;
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(lib, "*.jar")) {
            for (Path jar : jars) {
                String name = jar.getFileName().toString();
                for (int i = 1; i < args.length; i++) {
                    if (name.startsWith(args[i])) {
                        upgrade(jar);
                        upgraded++;
                        break;
                    }
                }
            }
        }
        if (upgraded == 0) {
            throw new IllegalStateException("no jar in " + lib + " starts with any of the names given");
        }
    }

    private static void upgrade(Path jar) throws IOException {
        Path rewritten = jar.resolveSibling(jar.getFileName() + ".tmp");
        // COMPUTE_FRAMES asks for common superclasses: resolved among the jar's own classes and the JDK's
        try (URLClassLoader classes = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
             ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             OutputStream file = Files.newOutputStream(rewritten);
             ZipOutputStream out = new ZipOutputStream(file)) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                byte[] bytes = in.readAllBytes();
                if (entry.getName().endsWith(".class") && !entry.getName().startsWith("META-INF/versions/")) {
                    bytes = upgrade(bytes, classes);
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                out.putNextEntry(copy);
                out.write(bytes);
                out.closeEntry();
            }
        }
        Files.move(rewritten, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static byte[] upgrade(byte[] classFile, ClassLoader classes) {
        ClassReader reader = new ClassReader(classFile);
        int major = reader.readUnsignedShort(6);
        if (major >= 52) {
            return classFile;
        }
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_FRAMES) {
            @Override
            protected ClassLoader getClassLoader() {
                return classes;
            }
        };
        reader.accept(new ClassVisitor(Opcodes.ASM9, writer) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                              String[] interfaces) {
                super.visit(Opcodes.V1_8, access, name, signature, superName, interfaces);
            }
        }, ClassReader.SKIP_FRAMES);
        return writer.toByteArray();
    }
}
