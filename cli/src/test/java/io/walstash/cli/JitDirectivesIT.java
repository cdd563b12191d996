package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.walstash.core.postgres.Processes;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lib/jit-directives.json, the HotSpot compiler directives the launcher passes to every command:
 * the methods it names exist in this JDK (a directive naming none would silently do nothing), the
 * JVM a command runs in applies them, and their notice stays out of the command's output.
 */
class JitDirectivesIT {
    private static final Pattern MATCH = Pattern.compile("\"([A-Za-z0-9_/$]+)\\.([A-Za-z0-9_<>$]+)\"");

    @TempDir
    Path dir;

    private static final String PLAIN = "jit-directives.json";
    private static final String INTRINSICS = "jit-directives-intrinsics.json";

    private static Path directives(String file) throws Exception {
        return Launcher.path().getParent().getParent().resolve("lib").resolve(file);
    }

    /** Class and method of every {@code "package/Class.method"} the file names. */
    private static List<String[]> namedMethods(String file) throws Exception {
        List<String[]> named = new ArrayList<>();
        Matcher m = MATCH.matcher(Files.readString(directives(file)));
        while (m.find()) {
            named.add(new String[] {m.group(1).replace('/', '.'), m.group(2)});
        }
        return named;
    }

    /**
     * Whether HotSpot (JDK 17) does the AES block, GHASH and SHA-256 with its intrinsics on this processor,
     * by the flags of /proc/cpuinfo: the launcher's rule, written again here from HotSpot's.
     */
    private static boolean cryptoIntrinsics() throws Exception {
        String flags = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(line -> line.startsWith("flags") || line.startsWith("Features")).findFirst()
                .map(line -> " " + line.substring(line.indexOf(':') + 1) + " ").orElse("");
        boolean x86 = flags.contains(" aes ") && flags.contains(" sse4_1 ") && flags.contains(" pclmulqdq ")
                && (flags.contains(" sha_ni ") || flags.contains(" avx2 ") && flags.contains(" bmi2 "));
        boolean arm = flags.contains(" aes ") && flags.contains(" pmull ") && flags.contains(" sha2 ");
        return x86 || arm;
    }

    @Test
    void everyMethodTheDirectivesNameExistsInThisJdk() throws Exception {
        for (String file : List.of(PLAIN, INTRINSICS)) {
            List<String[]> named = namedMethods(file);
            assertThat(named).as(file).hasSizeGreaterThanOrEqualTo(3);
            for (String[] classAndMethod : named) {
                Class<?> type = Class.forName(classAndMethod[0], false, ClassLoader.getSystemClassLoader());
                assertThat(Arrays.stream(type.getDeclaredMethods()).map(Method::getName))
                        .as(file + ": " + classAndMethod[0]).contains(classAndMethod[1]);
            }
        }
    }

    /** The directives for a processor with the intrinsics are the others and the two method bodies the intrinsics replace. */
    @Test
    void theIntrinsicsDirectivesHoldEveryOtherDirectiveAndTheTwoBodiesTheIntrinsicsReplace() throws Exception {
        List<String> plain = namedMethods(PLAIN).stream().map(m -> m[0] + "." + m[1]).toList();
        List<String> intrinsics = namedMethods(INTRINSICS).stream().map(m -> m[0] + "." + m[1]).toList();
        assertThat(intrinsics).containsAll(plain);
        assertThat(intrinsics).containsAll(List.of("com.sun.crypto.provider.AESCrypt.implEncryptBlock",
                "com.sun.crypto.provider.AESCrypt.implDecryptBlock", "sun.security.provider.SHA2.implCompress0"));
        assertThat(plain).doesNotContain("com.sun.crypto.provider.AESCrypt.implEncryptBlock", "sun.security.provider.SHA2.implCompress0");
    }

    /**
     * The launcher compiles the JDK's per-byte AES-GCM and SHA-256 methods early, naming them one by
     * one: a name this JDK lacks would be ignored without a word (CompileCommand=quiet) and leave that
     * loop at the default thresholds.
     */
    @Test
    void everyCipherMethodTheLauncherCompilesEarlyExistsInThisJdk() throws Exception {
        assertThat(methodsOfLoopExist("hot", "com.sun.crypto.provider.")).isGreaterThanOrEqualTo(5);
        assertThat(methodsOfLoopExist("digest", "sun.security.provider.")).isEqualTo(3);
        // the AES block's methods, compiled early only where its intrinsics are missing
        Matcher aesBlock = Pattern.compile("aes_block=\"([A-Za-z0-9_:$ ]+)\"").matcher(Files.readString(Launcher.path()));
        assertThat(aesBlock.find()).isTrue();
        for (String name : aesBlock.group(1).split(" ")) {
            String[] classAndMethod = name.split("::");
            Class<?> type = Class.forName("com.sun.crypto.provider." + classAndMethod[0], false, ClassLoader.getSystemClassLoader());
            assertThat(Arrays.stream(type.getDeclaredMethods()).map(Method::getName)).as(name).contains(classAndMethod[1]);
        }
    }

    /** Checks that every {@code 'Class::method'} of the launcher's {@code for VARIABLE in …} loop exists in {@code pkg}; returns how many. */
    private static int methodsOfLoopExist(String variable, String pkg) throws Exception {
        Matcher list = Pattern.compile("for " + variable + " in ([^;]+); do").matcher(Files.readString(Launcher.path()));
        assertThat(list.find()).as("the launcher's loop over " + variable).isTrue();
        Matcher named = Pattern.compile("'([A-Za-z0-9_$]+)::([A-Za-z0-9_]+)'").matcher(list.group(1));
        int count = 0;
        while (named.find()) {
            Class<?> type = Class.forName(pkg + named.group(1), false, ClassLoader.getSystemClassLoader());
            assertThat(Arrays.stream(type.getDeclaredMethods()).map(Method::getName))
                    .as(type.getName()).contains(named.group(2));
            count++;
        }
        return count;
    }

    /**
     * Backup commands and the daemon raise C2's thresholds tenfold, and CompileThresholdScaling scales
     * whatever the thresholds are: the launcher scales the cipher methods ten times lower there, so
     * that they reach C2 (and the GHASH and AES-CTR intrinsics) after as many calls as in any other
     * command, a few MiB into the first encrypted object rather than some 14 MiB.
     */
    @Test
    void theCipherMethodsReachC2AfterAsManyCallsInABackupCommandAsInAnyOther() throws Exception {
        Map<String, String> environment = new HashMap<>(Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString(),
                "WALSTASH_JAVA_OPTS", "-XX:+DisplayVMOutput -XX:+PrintCommandLineFlags"));
        Map<String, Double> callsToC2 = new HashMap<>();
        Map<String, Double> tier4Thresholds = new HashMap<>();
        for (String command : List.of("backup-list", "backup-fetch", "backup-push", "restore", "daemon")) {
            Processes.Outcome help = Processes.runAllowingFailure(List.of(Launcher.path().toString(), command, "--help"),
                    Launcher.withCache(environment), Duration.ofMinutes(5));
            assertThat(help.exitCode()).as(help.output()).isZero();
            Matcher scaling = Pattern.compile("CompileThresholdScaling,com\\.sun\\.crypto\\.provider\\.GHASH::update,([0-9.]+)")
                    .matcher(help.output());
            assertThat(scaling.find()).as(command + ": " + help.output()).isTrue();
            assertThat(help.output()).as("SHA-256's calls into its intrinsics, scaled alike")
                    .contains("CompileThresholdScaling,sun.security.provider.SHA2::implCompress," + scaling.group(1))
                    .contains("CompileThresholdScaling,sun.security.provider.DigestBase::implCompressMultiBlock," + scaling.group(1));
            assertThat(help.output().contains("AESCrypt::implEncryptBlock")).as(command + ": the AES block compiled early"
                    + " only without its intrinsics: " + help.output()).isEqualTo(!cryptoIntrinsics());
            Matcher threshold = Pattern.compile("-XX:Tier4InvocationThreshold=([0-9]+)").matcher(help.output());
            double tier4 = threshold.find() ? Double.parseDouble(threshold.group(1)) : 5000; // HotSpot's default
            tier4Thresholds.put(command, tier4);
            callsToC2.put(command, Double.parseDouble(scaling.group(1)) * tier4);
        }
        // the daemon, started cold by a recovery's first call, leaves its warm-but-not-hot request code to C1
        assertThat(tier4Thresholds).containsEntry("daemon", 50000.0).containsEntry("backup-fetch", 50000.0)
                .containsEntry("backup-list", 5000.0);
        assertThat(callsToC2.get("backup-list")).isEqualTo(50.0);
        assertThat(callsToC2).allSatisfy((command, calls) -> assertThat(calls).as(command).isEqualTo(50.0));
    }

    @Test
    void aLaunchedCommandRunsWithTheDirectivesAndItsOutputHasNoneOfTheJvmsNotice() throws Exception {
        Map<String, String> environment = new HashMap<>(Map.of("WALSTASH_STORAGE", dir.resolve("repo").toUri().toString()));
        List<String> list = List.of(Launcher.path().toString(), "backup-list", "--json");

        Processes.Outcome plain = Processes.runAllowingFailure(list, Launcher.withCache(environment), Duration.ofMinutes(5));
        assertThat(plain.exitCode()).as(plain.output()).isZero();
        assertThat(plain.output()).doesNotContain("compiler directives").startsWith("[");

        // the JVM's own account of the directives it holds, let through for this run only
        environment.put("WALSTASH_JAVA_OPTS", "-XX:+DisplayVMOutput -XX:+CompilerDirectivesPrint");
        Processes.Outcome printed = Processes.runAllowingFailure(list, Launcher.withCache(environment), Duration.ofMinutes(5));
        assertThat(printed.exitCode()).as(printed.output()).isZero();
        String output = printed.output();
        int ours = output.indexOf("matching: ");
        int theDefault = output.indexOf("Directive: (default)");
        assertThat(ours).as(output).isNotNegative().isLessThan(theDefault);
        String directive = output.substring(ours, theDefault);
        // this processor's directives: with the intrinsics, the AES block and SHA-256's compression are left to C1
        boolean intrinsics = cryptoIntrinsics();
        for (String[] classAndMethod : namedMethods(intrinsics ? INTRINSICS : PLAIN)) {
            assertThat(directive).contains(classAndMethod[0].replace('.', '/') + "." + classAndMethod[1]);
        }
        assertThat(directive.contains("AESCrypt.implEncryptBlock")).as(directive).isEqualTo(intrinsics);
        assertThat(directive.contains("SHA2.implCompress0")).as(directive).isEqualTo(intrinsics);
        String c2 = directive.substring(directive.indexOf("c2 directives:"));
        assertThat(c2).contains("Exclude:true");
        assertThat(directive.substring(0, directive.indexOf("c2 directives:"))).contains("Exclude:false");
    }
}
