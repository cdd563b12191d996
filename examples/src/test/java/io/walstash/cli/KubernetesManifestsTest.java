package io.walstash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Version;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * examples/deploy/kubernetes/walstash-postgres.yaml, checked without a cluster: every document
 * read into fabric8's model of its kind and API version with no field the Kubernetes API does not
 * know, the references between the objects resolved, the schedules the issue asks for, and every
 * walstash command line parsed by the real CLI ({@link WalstashCommand}, package-private: hence
 * this package) after Kubernetes' {@code $(VAR)} expansion from the container's environment.
 */
class KubernetesManifestsTest {
    static final Path MANIFEST = Path.of(System.getProperty("walstash.root", ".."))
            .resolve("examples/deploy/kubernetes/walstash-postgres.yaml");

    /** The kinds the manifests use; anything else is a mistake this test should hear about. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "Namespace", Namespace.class, "Secret", Secret.class, "ConfigMap", ConfigMap.class,
            "Service", Service.class, "StatefulSet", StatefulSet.class, "CronJob", CronJob.class,
            "NetworkPolicy", NetworkPolicy.class);

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper MODEL = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();
    static final Pattern VARIABLE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

    static List<HasMetadata> objects;

    @BeforeAll
    static void read() throws IOException {
        objects = read(Files.readString(MANIFEST));
    }

    static List<HasMetadata> read(String yaml) throws IOException {
        List<HasMetadata> read = new ArrayList<>();
        for (JsonNode document : YAML.readValues(YAML.createParser(yaml), JsonNode.class).readAll()) {
            if (document == null || document.isNull() || document.isEmpty()) {
                continue;
            }
            String kind = document.path("kind").asText();
            Class<? extends HasMetadata> type = KINDS.get(kind);
            assertThat(type).as("a kind the manifests may use: " + kind).isNotNull();
            String group = type.getAnnotation(Group.class).value();
            String apiVersion = (group.isEmpty() ? "" : group + "/") + type.getAnnotation(Version.class).value();
            assertThat(document.path("apiVersion").asText()).as("apiVersion of " + kind).isEqualTo(apiVersion);
            HasMetadata object = MODEL.treeToValue(document, type);
            assertThat(unknownFields(object, kind, new IdentityHashMap<>()))
                    .as("fields the Kubernetes API does not know").isEmpty();
            assertThat(object.getMetadata().getName()).as("name of a " + kind).isNotBlank();
            read.add(object);
        }
        return read;
    }

    /**
     * fabric8's model keeps a field it does not know in additionalProperties instead of failing: the
     * paths of every such field, anywhere in the object.
     */
    static List<String> unknownFields(Object value, String path, Map<Object, Boolean> seen) {
        List<String> found = new ArrayList<>();
        if (value == null || seen.put(value, Boolean.TRUE) != null) {
            return found;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                found.addAll(unknownFields(item, path + "[" + i++ + "]", seen));
            }
            return found;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> found.addAll(unknownFields(v, path + "." + k, seen)));
            return found;
        }
        if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            return found;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            Object field;
            try {
                field = getter.invoke(value);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                ((Map<?, ?>) field).keySet().forEach(k -> found.add(path + "." + k));
            } else {
                found.addAll(unknownFields(field, path + "." + getter.getName().substring(3), seen));
            }
        }
        return found;
    }

    @Test
    void everyDocumentIsAKubernetesObjectWithNoUnknownField() {
        assertThat(objects.stream().map(HasMetadata::getKind).collect(Collectors.toSet()))
                .containsExactlyInAnyOrderElementsOf(KINDS.keySet());
    }

    @Test
    void aFieldTheApiDoesNotKnowIsFound() throws IOException {
        // the check above would be worthless if the model swallowed a misspelt field silently
        String misspelt = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: x
                  namepsace: database
                data: {}
                """;
        try {
            read(misspelt);
        } catch (AssertionError expected) {
            assertThat(expected).hasMessageContaining("ConfigMap.Metadata.namepsace");
            return;
        }
        throw new AssertionError("a misspelt field passed");
    }

    @Test
    void scheduleIsTheIssuesDailyBackupWeeklyRestoreTestAndRetentionOfSeven() {
        Map<String, CronJob> jobs = objectsOf(CronJob.class).stream()
                .collect(Collectors.toMap(j -> j.getMetadata().getName(), j -> j));
        assertThat(jobs.get("walstash-backup").getSpec().getSchedule()).isEqualTo("0 2 * * *");
        assertThat(commandLine(jobs.get("walstash-backup"))).startsWith("walstash", "backup-push");
        assertThat(jobs.get("walstash-verify").getSpec().getSchedule()).matches("\\d+ \\d+ \\* \\* [0-6]");
        assertThat(commandLine(jobs.get("walstash-verify"))).contains("backup-verify", "--restore-test");
        assertThat(commandLine(jobs.get("walstash-retention"))).containsSequence("delete", "retain", "7", "--confirm");
        assertThat(configMap().getData()).containsEntry("WALG_RETAIN_BACKUPS", "7");
        for (CronJob job : jobs.values()) {
            assertThat(job.getSpec().getSchedule()).as(job.getMetadata().getName())
                    .matches("(\\S+ ){4}\\S+");
            assertThat(job.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
        }
    }

    @Test
    void everyWalstashCommandLineParses() {
        List<String> parsed = new ArrayList<>();
        for (PodSpec pod : pods()) {
            for (Container container : pod.getContainers()) {
                List<String> line = commandLine(container);
                if (line.isEmpty() || !line.get(0).equals("walstash")) {
                    continue;
                }
                List<String> args = line.subList(1, line.size());
                CommandLine.ParseResult result = WalstashCommand.commandLine().parseArgs(args.toArray(String[]::new));
                assertThat(result.hasSubcommand()).as(String.join(" ", line)).isTrue();
                assertThat(result.unmatched()).as(String.join(" ", line)).isEmpty();
                parsed.add(String.join(" ", args));
            }
        }
        assertThat(parsed).hasSize(4);
    }

    @Test
    void aCommandLineTheCliRejectsIsCaught() {
        // the parse above is the real CLI's: a flag that does not exist fails it
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> WalstashCommand.commandLine()
                .parseArgs("backup-verify", "LATEST", "--restore-tests"))).isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void referencesResolve() {
        Set<String> configMaps = namesOf(ConfigMap.class);
        Set<String> secrets = namesOf(Secret.class);
        StatefulSet postgres = objectsOf(StatefulSet.class).get(0);
        Set<String> claims = postgres.getSpec().getVolumeClaimTemplates().stream()
                .map(c -> c.getMetadata().getName() + "-" + postgres.getMetadata().getName() + "-0").collect(Collectors.toSet());
        Map<String, String> podLabels = postgres.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels).containsAllEntriesOf(postgres.getSpec().getSelector().getMatchLabels());
        assertThat(namesOf(Service.class)).contains(postgres.getSpec().getServiceName());
        for (Service service : objectsOf(Service.class)) {
            assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
        }
        for (NetworkPolicy policy : objectsOf(NetworkPolicy.class)) {
            assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        }
        for (HasMetadata object : objects) {
            if (!(object instanceof Namespace)) {
                assertThat(object.getMetadata().getNamespace()).as(object.getKind()).isEqualTo("database");
            }
        }
        for (PodSpec pod : pods()) {
            Set<String> volumes = pod.getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
            if (pod == postgres.getSpec().getTemplate().getSpec()) {
                postgres.getSpec().getVolumeClaimTemplates().forEach(c -> volumes.add(c.getMetadata().getName()));
            }
            for (Volume volume : pod.getVolumes()) {
                if (volume.getPersistentVolumeClaim() != null) {
                    assertThat(claims).contains(volume.getPersistentVolumeClaim().getClaimName());
                }
            }
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            for (Container container : pod.getContainers()) {
                assertThat(container.getImage()).isNotBlank();
                assertThat(container.getVolumeMounts().stream().map(VolumeMount::getName)).allMatch(volumes::contains);
                for (EnvFromSource from : container.getEnvFrom()) {
                    if (from.getConfigMapRef() != null) {
                        assertThat(configMaps).contains(from.getConfigMapRef().getName());
                    }
                    if (from.getSecretRef() != null) {
                        assertThat(secrets).contains(from.getSecretRef().getName());
                    }
                }
                // secrets come from the Secret, never written into a container's own env or args
                for (EnvVar env : container.getEnv()) {
                    assertThat(env.getName()).doesNotContain("SECRET", "PASSWORD");
                }
            }
        }
    }

    /** The command line Kubernetes runs: args after the image's entrypoint, $(VAR) expanded from the container's env. */
    static List<String> commandLine(Container container) {
        Map<String, String> env = new HashMap<>();
        for (EnvFromSource from : container.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                env.putAll(configMap().getData());
            }
        }
        container.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
        List<String> line = new ArrayList<>();
        assertThat(container.getCommand()).as("the image's entrypoint stays (it drops root)").isEmpty();
        for (String arg : container.getArgs()) {
            Matcher m = VARIABLE.matcher(arg);
            StringBuilder expanded = new StringBuilder();
            while (m.find()) {
                assertThat(env).as("$(" + m.group(1) + ") in " + container.getName()).containsKey(m.group(1));
                m.appendReplacement(expanded, Matcher.quoteReplacement(env.get(m.group(1))));
            }
            m.appendTail(expanded);
            line.add(expanded.toString());
        }
        return line;
    }

    static List<String> commandLine(CronJob job) {
        return commandLine(job.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0));
    }

    static List<PodSpec> pods() {
        List<PodSpec> pods = new ArrayList<>();
        for (HasMetadata object : objects) {
            PodTemplateSpec template = object instanceof StatefulSet set ? set.getSpec().getTemplate()
                    : object instanceof CronJob job ? job.getSpec().getJobTemplate().getSpec().getTemplate() : null;
            if (template != null) {
                pods.add(template.getSpec());
            }
        }
        return pods;
    }

    static ConfigMap configMap() {
        return objectsOf(ConfigMap.class).get(0);
    }

    static <T extends HasMetadata> List<T> objectsOf(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static Set<String> namesOf(Class<? extends HasMetadata> type) {
        return objectsOf(type).stream().map(o -> o.getMetadata().getName()).collect(Collectors.toSet());
    }
}
